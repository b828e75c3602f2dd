namespace SidecarKit.Rpc;

/// <summary>The error codes SidecarKit sends and understands. See <c>docs/protocol.md</c>.</summary>
public static class RpcErrorCodes
{
    /// <summary>The message is not valid JSON (or not a valid MessagePack object).</summary>
    public const int ParseError = -32700;
    /// <summary>The message is not a valid request object (also: batches, which are not supported).</summary>
    public const int InvalidRequest = -32600;
    /// <summary>No such method.</summary>
    public const int MethodNotFound = -32601;
    /// <summary>The params do not match the method's parameters.</summary>
    public const int InvalidParams = -32602;
    /// <summary>The implementation failed with an unexpected exception.</summary>
    public const int InternalError = -32603;
    /// <summary>The message exceeds the maximum message size.</summary>
    public const int MessageTooLarge = -32001;
    /// <summary>The message nests deeper than the maximum depth.</summary>
    public const int NestingTooDeep = -32002;
    /// <summary>Too many requests are already running on this connection.</summary>
    public const int ServerBusy = -32003;
    /// <summary>The sidecar is shutting down and accepts no new requests.</summary>
    public const int ShuttingDown = -32004;
    /// <summary>The request was cancelled (LSP's RequestCancelled).</summary>
    public const int RequestCancelled = -32800;
}
