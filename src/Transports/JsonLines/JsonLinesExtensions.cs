using SidecarKit.Hosting;
using SidecarKit.Processes;

namespace SidecarKit.Transports.JsonLines;

/// <summary>Registers the JSON lines transport with the sidecar host and the process starter.</summary>
public static class JsonLinesExtensions
{
    /// <summary>Makes <c>--transport jsonl</c> available (JSON-RPC 2.0 over JSON lines on stdio).</summary>
    public static SidecarHostBuilder AddJsonLines(this SidecarHostBuilder builder, JsonLinesOptions? limits = null)
        => builder.AddTransport(new SidecarTransport(JsonLines.TransportName, "JSON-RPC 2.0 over JSON lines on stdio", () => new JsonRpcProtocol(limits)));

    /// <summary>Talks to the sidecar with JSON-RPC 2.0 over JSON lines on its stdio.</summary>
    public static SidecarProcessOptions UseJsonLines(this SidecarProcessOptions options, JsonLinesOptions? limits = null)
    {
        options.Protocol = () => new JsonRpcProtocol(limits);
        return options;
    }
}
