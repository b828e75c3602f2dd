using SidecarKit.Rpc;

namespace SidecarKit.Transports.JsonLines;

/// <summary>Entry points of the JSON lines transport.</summary>
public static class JsonLines
{
    /// <summary>The transport's name, as given to a sidecar's <c>--transport</c> flag.</summary>
    public const string TransportName = "jsonl";

    /// <summary>Creates a connection speaking JSON-RPC over JSON lines on <paramref name="input"/> and <paramref name="output"/>.</summary>
    public static RpcConnection CreateConnection(Stream input, Stream output, RpcHandlerTable? handlers = null,
        RpcConnectionOptions? options = null, JsonLinesOptions? limits = null, Microsoft.Extensions.Logging.ILogger? logger = null)
        => new(StreamDuplexPipe.Create(input, output), new JsonRpcProtocol(limits), handlers, options, logger);
}
