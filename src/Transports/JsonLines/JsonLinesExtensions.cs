using SidecarKit.Hosting;
using SidecarKit.Processes;

namespace SidecarKit.Transports.JsonLines;

/// <summary>Registers the JSON-RPC transports with the sidecar host and the process starter.</summary>
public static class JsonLinesExtensions
{
    /// <summary>
    /// Makes both JSON-RPC 2.0 transports on stdio available: <c>--transport jsonl</c> (one message per line) and
    /// <c>--transport jsonrpc</c> (<c>Content-Length</c> headers, for LSP-style clients such as vscode-jsonrpc and
    /// StreamJsonRpc). <paramref name="limits"/> applies to both.
    /// </summary>
    public static SidecarHostBuilder AddJsonLines(this SidecarHostBuilder builder, JsonLinesOptions? limits = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddTransport(new SidecarTransport(JsonLines.TransportName, "JSON-RPC 2.0 over JSON lines on stdio", () => new JsonRpcProtocol(limits)));
        return builder.AddTransport(new SidecarTransport(JsonLines.ContentLengthTransportName,
            "JSON-RPC 2.0 with Content-Length headers on stdio (LSP, StreamJsonRpc)",
            () => JsonLines.CreateContentLengthProtocol(limits)));
    }

    /// <summary>Talks to the sidecar with JSON-RPC 2.0 over JSON lines on its stdio (the sidecar's default, <c>--transport jsonl</c>).</summary>
    public static SidecarProcessOptions UseJsonLines(this SidecarProcessOptions options, JsonLinesOptions? limits = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Protocol = () => new JsonRpcProtocol(limits);
        Expect(options, JsonLines.TransportName);
        return options;
    }

    /// <summary>
    /// Talks to the sidecar with JSON-RPC 2.0 framed by <c>Content-Length</c> headers on its stdio. Start a SidecarKit
    /// sidecar with <c>--transport jsonrpc</c>; a sidecar written on vscode-jsonrpc, StreamJsonRpc or an LSP library
    /// speaks this by default. <paramref name="limits"/> gives the largest body and the deepest nesting.
    /// </summary>
    public static SidecarProcessOptions UseJsonRpc(this SidecarProcessOptions options, JsonLinesOptions? limits = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Protocol = () => JsonLines.CreateContentLengthProtocol(limits);
        Expect(options, JsonLines.ContentLengthTransportName);
        return options;
    }

    private static void Expect(SidecarProcessOptions options, string transport)
    {
        options.ExpectedTransports.Clear();
        options.ExpectedTransports.Add(transport);
    }
}
