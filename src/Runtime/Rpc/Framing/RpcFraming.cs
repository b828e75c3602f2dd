using System.Buffers;

namespace SidecarKit.Rpc.Framing;

/// <summary>
/// How messages are delimited in a byte stream, apart from what they contain: a protocol (an envelope and a format,
/// such as JSON-RPC 2.0 in JSON) is composed with a framing (newline-delimited, <c>Content-Length</c> headers, one
/// MessagePack object after another). One instance serves one connection and may keep per-connection state: its
/// reading half is used only by the connection's read loop, its writing half only under the connection's write lock.
/// </summary>
public abstract class RpcFraming
{
    /// <summary>The default largest message: 16 MiB.</summary>
    public const int DefaultMaxMessageSize = 16 * 1024 * 1024;

    /// <summary>Creates a framing that accepts messages up to <paramref name="maxMessageSize"/> bytes.</summary>
    protected RpcFraming(int maxMessageSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxMessageSize);
        MaxMessageSize = maxMessageSize;
    }

    /// <summary>The framing's name, for logs and errors (<c>newline</c>, <c>content-length</c>, <c>msgpack-object</c>).</summary>
    public abstract string Name { get; }

    /// <summary>The largest message body accepted, in bytes.</summary>
    public int MaxMessageSize { get; }

    /// <summary>
    /// Takes the next message body from the start of <paramref name="buffer"/>, advancing <paramref name="buffer"/> past
    /// what was consumed or discarded. <paramref name="frame"/> is a slice of the input: copy it before the caller
    /// advances its reader. <paramref name="isCompleted"/> says no more bytes will come.
    /// </summary>
    /// <param name="buffer">
    /// The bytes received and not yet consumed. After <see cref="RpcFrameStatus.Incomplete"/> the next call gets the
    /// same bytes again with the new ones after them, as a read loop over a pipe does, so a framing may resume its
    /// search where it stopped (work linear in the bytes received).
    /// </param>
    /// <param name="isCompleted">No more bytes will come: a partial message is then an error, not a wait.</param>
    /// <param name="frame">For <see cref="RpcFrameStatus.Complete"/>: the message body, without framing bytes.</param>
    /// <param name="error">For <see cref="RpcFrameStatus.TooLarge"/> and <see cref="RpcFrameStatus.Invalid"/>: why, in words for a person.</param>
    public abstract RpcFrameStatus TryReadFrame(ref ReadOnlySequence<byte> buffer, bool isCompleted,
        out ReadOnlySequence<byte> frame, out string? error);

    /// <summary>
    /// Starts a message: returns the writer its body goes to (<paramref name="output"/> itself when the framing needs
    /// nothing before the body, a reused buffer of its own when it must measure the body first). Every call is
    /// followed by <see cref="EndFrame"/> with the same <paramref name="output"/>.
    /// </summary>
    public abstract IBufferWriter<byte> BeginFrame(IBufferWriter<byte> output);

    /// <summary>Ends the message started by <see cref="BeginFrame"/>, writing what the framing needs to <paramref name="output"/>.</summary>
    public abstract void EndFrame(IBufferWriter<byte> output);
}
