namespace SidecarKit.Rpc.Framing;

/// <summary>What <see cref="RpcFraming.TryReadFrame"/> found at the start of the bytes received so far.</summary>
public enum RpcFrameStatus
{
    /// <summary>One whole message body was taken; the buffer was advanced past it.</summary>
    Complete,

    /// <summary>More bytes are needed. The buffer may have been advanced past bytes the framing has discarded.</summary>
    Incomplete,

    /// <summary>
    /// A message over the size limit was dropped without being buffered (its remaining bytes are discarded as they
    /// arrive). The stream stays in step: answer with <see cref="RpcErrorCodes.MessageTooLarge"/> and go on.
    /// </summary>
    TooLarge,

    /// <summary>
    /// The bytes break the framing and the next message boundary cannot be found (a bad header, a stream that ended
    /// inside a message, bytes that are not MessagePack). The connection must be closed.
    /// </summary>
    Invalid,
}
