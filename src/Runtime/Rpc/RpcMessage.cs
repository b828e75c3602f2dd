namespace SidecarKit.Rpc;

/// <summary>What an incoming message is.</summary>
public enum RpcMessageKind
{
    /// <summary>A call that expects a response.</summary>
    Request,
    /// <summary>A one-way message.</summary>
    Notification,
    /// <summary>A successful response.</summary>
    Result,
    /// <summary>An error response.</summary>
    Error,
    /// <summary>A message that could not be understood; <see cref="RpcMessage.ErrorCode"/> says why.</summary>
    Invalid,
}

/// <summary>
/// One parsed incoming message. Its payload (params, result or error data) is still encoded: the protocol decodes it
/// with the codec of the method it belongs to. The payload is valid until the message is released, and no longer than
/// the input it was read from (it may be a slice of it: see <see cref="RpcProtocol.TryReadMessage"/>).
/// </summary>
public readonly struct RpcMessage
{
    /// <summary>Creates a message.</summary>
    public RpcMessage(RpcMessageKind kind, RequestId id, string? method, ReadOnlyMemory<byte> payload, int errorCode = 0, string? errorMessage = null, object? state = null)
    {
        Kind = kind;
        Id = id;
        Method = method;
        Payload = payload;
        ErrorCode = errorCode;
        ErrorMessage = errorMessage;
        State = state;
    }

    /// <summary>The kind.</summary>
    public RpcMessageKind Kind { get; }

    /// <summary>
    /// The id (requests and responses). For an <see cref="RpcMessageKind.Invalid"/> message: the id to answer with
    /// (<see cref="RequestId.Null"/> when it could not be read), or <see cref="RequestId.None"/> when it must not be answered.
    /// </summary>
    public RequestId Id { get; }

    /// <summary>The method (requests and notifications).</summary>
    public string? Method { get; }

    /// <summary>The encoded params, result or error data; empty when absent.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>The error code (errors, and the reason an <see cref="RpcMessageKind.Invalid"/> message is invalid).</summary>
    public int ErrorCode { get; }

    /// <summary>The error message.</summary>
    public string? ErrorMessage { get; }

    /// <summary>Protocol-private state (a rented buffer to return on release).</summary>
    public object? State { get; }
}
