using SidecarKit.Hosting;
using SidecarKit.Processes;

namespace SidecarKit.Transports.MessagePack;

/// <summary>Registers MessagePack-RPC with the sidecar host and the process starter.</summary>
public static class MessagePackExtensions
{
    /// <summary>The transport's name on stdio, as given to <c>--transport</c>.</summary>
    public const string StdioTransportName = "msgpack";

    /// <summary>The transport's name on a Unix domain socket, as given to <c>--transport</c>.</summary>
    public const string UnixSocketTransportName = "msgpack-unix";

    /// <summary>The transport's name on a named pipe, as given to <c>--transport</c>.</summary>
    public const string NamedPipeTransportName = "msgpack-pipe";

    /// <summary>
    /// Makes MessagePack-RPC available on every carrier: <c>--transport msgpack</c> (stdio), <c>msgpack-unix</c> (a Unix
    /// domain socket) and <c>msgpack-pipe</c> (a named pipe).
    /// </summary>
    public static SidecarHostBuilder AddMessagePack(this SidecarHostBuilder builder, MessagePackOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        Func<Rpc.RpcProtocol> protocol = () => new MessagePackRpcProtocol(options);
        builder.AddTransport(new SidecarTransport(StdioTransportName, "MessagePack-RPC on stdio", protocol));
        builder.AddTransport(new SidecarTransport(UnixSocketTransportName, "MessagePack-RPC on a Unix socket (--listen <path>)", protocol) { Carrier = SidecarCarrier.UnixSocket });
        return builder.AddTransport(new SidecarTransport(NamedPipeTransportName, "MessagePack-RPC on a named pipe (--listen <name>)", protocol) { Carrier = SidecarCarrier.NamedPipe });
    }

    /// <summary>Talks to the sidecar with MessagePack-RPC on its stdio (start it with <c>--transport msgpack</c>).</summary>
    public static SidecarProcessOptions UseMessagePack(this SidecarProcessOptions options, MessagePackOptions? messagePack = null)
        => options.UseMessagePack(SidecarCarrier.Stdio, messagePack);

    /// <summary>
    /// Talks to the sidecar with MessagePack-RPC on <paramref name="carrier"/>. Start it with the matching transport:
    /// <c>--transport msgpack</c>, <c>msgpack-unix</c> or <c>msgpack-pipe</c>.
    /// </summary>
    public static SidecarProcessOptions UseMessagePack(this SidecarProcessOptions options, SidecarCarrier carrier, MessagePackOptions? messagePack = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Protocol = () => new MessagePackRpcProtocol(messagePack);
        options.Carrier = carrier;
        options.ExpectedTransports.Clear();
        options.ExpectedTransports.Add(carrier switch
        {
            SidecarCarrier.UnixSocket => UnixSocketTransportName,
            SidecarCarrier.NamedPipe => NamedPipeTransportName,
            _ => StdioTransportName,
        });
        return options;
    }
}
