using System.Buffers;

namespace SidecarKit.Rpc.Framing;

/// <summary>
/// One message per <c>\n</c>-terminated line (JSON lines). A line holding only spaces, tabs or <c>\r</c> is not a
/// message and is skipped; a final line without its newline is taken when the stream ends. A line over the size limit
/// is discarded as it streams in (never buffered whole) and reported once its end is seen: the next line starts the
/// next message, so the stream always stays in step.
/// </summary>
/// <remarks>
/// Between a call that answers <see cref="RpcFrameStatus.Incomplete"/> and the next, the buffer starts at the same byte
/// and holds at least as much (the connection's read loop leaves an incomplete line unconsumed): only the bytes that
/// arrived since are searched for the newline, so the cost is linear in the bytes received however they are cut.
/// </remarks>
public sealed class NewlineFraming : RpcFraming
{
    private bool _discarding;
    // The bytes at the buffer's start searched for a newline in vain by the previous call: the read loop hands an
    // incomplete line back from its first byte with more after it, so only what is new is searched (linear cost).
    private long _searched;

    /// <summary>Creates the framing for one connection.</summary>
    /// <param name="maxMessageSize">The longest line accepted, in bytes, without its newline.</param>
    public NewlineFraming(int maxMessageSize = DefaultMaxMessageSize) : base(maxMessageSize) { }

    /// <inheritdoc />
    public override string Name => "newline";

    /// <summary>The bytes searched for a newline since this framing was created: its work, for tests that hold it to linear cost.</summary>
    internal long BytesExamined { get; private set; }

    /// <inheritdoc />
    public override RpcFrameStatus TryReadFrame(ref ReadOnlySequence<byte> buffer, bool isCompleted,
        out ReadOnlySequence<byte> frame, out string? error)
    {
        frame = default;
        error = null;
        while (true)
        {
            long from = _searched <= buffer.Length ? _searched : 0;
            _searched = 0;
            SequencePosition? newline = (from == 0 ? buffer : buffer.Slice(from)).PositionOf((byte)'\n');
            ReadOnlySequence<byte> line;
            if (newline is null)
            {
                BytesExamined += buffer.Length - from;
                // Too long already: drop it as it streams in, and report it once its end is seen.
                if (buffer.Length > MaxMessageSize) _discarding = true;
                if (_discarding)
                {
                    buffer = buffer.Slice(buffer.End);
                    if (!isCompleted) return RpcFrameStatus.Incomplete;
                    _discarding = false;
                    return TooLarge(out error);
                }
                if (!isCompleted)
                {
                    _searched = buffer.Length;
                    return RpcFrameStatus.Incomplete;
                }
                if (buffer.IsEmpty) return RpcFrameStatus.Incomplete;
                line = buffer;
                buffer = buffer.Slice(buffer.End);
            }
            else
            {
                line = buffer.Slice(0, newline.Value);
                BytesExamined += line.Length + 1 - from;
                buffer = buffer.Slice(buffer.GetPosition(1, newline.Value));
                if (_discarding)
                {
                    _discarding = false;
                    return TooLarge(out error);
                }
            }

            if (line.Length > MaxMessageSize) return TooLarge(out error);
            if (IsBlank(line)) continue;
            frame = line;
            return RpcFrameStatus.Complete;
        }
    }

    private RpcFrameStatus TooLarge(out string error)
    {
        error = $"Message too large: a line may be at most {MaxMessageSize} bytes.";
        return RpcFrameStatus.TooLarge;
    }

    private static bool IsBlank(ReadOnlySequence<byte> line)
    {
        foreach (ReadOnlyMemory<byte> segment in line)
        {
            foreach (byte b in segment.Span)
            {
                if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r')) return false;
            }
        }
        return true;
    }

    /// <inheritdoc />
    public override IBufferWriter<byte> BeginFrame(IBufferWriter<byte> output) => output;

    /// <inheritdoc />
    public override void EndFrame(IBufferWriter<byte> output) => output.Write("\n"u8);
}
