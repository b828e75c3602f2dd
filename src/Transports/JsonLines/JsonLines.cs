using SidecarKit.Rpc;
using SidecarKit.Rpc.Framing;

namespace SidecarKit.Transports.JsonLines;

/// <summary>Entry points of the JSON-RPC transports: JSON lines, and JSON-RPC with <c>Content-Length</c> headers.</summary>
public static class JsonLines
{
    /// <summary>The name of JSON-RPC 2.0 over JSON lines on stdio, as given to a sidecar's <c>--transport</c> flag.</summary>
    public const string TransportName = "jsonl";

    /// <summary>
    /// The name of JSON-RPC 2.0 with <c>Content-Length</c> headers on stdio (the framing of LSP, vscode-jsonrpc and
    /// StreamJsonRpc's default <c>HeaderDelimitedMessageHandler</c>), as given to a sidecar's <c>--transport</c> flag.
    /// </summary>
    public const string ContentLengthTransportName = "jsonrpc";

    /// <summary>Creates a connection speaking JSON-RPC over JSON lines on <paramref name="input"/> and <paramref name="output"/>.</summary>
    public static RpcConnection CreateConnection(Stream input, Stream output, RpcHandlerTable? handlers = null,
        RpcConnectionOptions? options = null, JsonLinesOptions? limits = null, Microsoft.Extensions.Logging.ILogger? logger = null)
        => new(StreamDuplexPipe.Create(input, output), new JsonRpcProtocol(limits), handlers, options, logger);

    /// <summary>
    /// Creates a connection speaking JSON-RPC with <c>Content-Length</c> headers on <paramref name="input"/> and
    /// <paramref name="output"/>: what LSP servers, vscode-jsonrpc and StreamJsonRpc speak by default.
    /// <paramref name="limits"/> gives the largest body and the deepest nesting.
    /// </summary>
    public static RpcConnection CreateContentLengthConnection(Stream input, Stream output, RpcHandlerTable? handlers = null,
        RpcConnectionOptions? options = null, JsonLinesOptions? limits = null, Microsoft.Extensions.Logging.ILogger? logger = null)
        => new(StreamDuplexPipe.Create(input, output), CreateContentLengthProtocol(limits), handlers, options, logger);

    internal static JsonRpcProtocol CreateContentLengthProtocol(JsonLinesOptions? limits)
        => new(new ContentLengthFraming((limits ?? new JsonLinesOptions()).MaxMessageSize), limits);
}
