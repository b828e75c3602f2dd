using SidecarKit.Hosting;
using SidecarKit.Processes;

namespace SidecarKit.Transports.MessagePack;

/// <summary>Registers MessagePack-RPC with the sidecar host and the process starter.</summary>
public static class MessagePackExtensions
{
    /// <summary>The transport's name on stdio, as given to <c>--transport</c>.</summary>
    public const string StdioTransportName = "msgpack";

    /// <summary>Makes <c>--transport msgpack</c> available (MessagePack-RPC on stdio).</summary>
    public static SidecarHostBuilder AddMessagePack(this SidecarHostBuilder builder, MessagePackOptions? limits = null)
        => builder.AddTransport(new SidecarTransport(StdioTransportName, "MessagePack-RPC on stdio", () => new MessagePackRpcProtocol(limits)));

    /// <summary>Talks to the sidecar with MessagePack-RPC on its stdio (start it with <c>--transport msgpack</c>).</summary>
    public static SidecarProcessOptions UseMessagePack(this SidecarProcessOptions options, MessagePackOptions? limits = null)
    {
        options.Protocol = () => new MessagePackRpcProtocol(limits);
        return options;
    }
}
