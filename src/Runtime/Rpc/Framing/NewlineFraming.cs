using System.Buffers;

namespace SidecarKit.Rpc.Framing;

/// <summary>
/// One message per <c>\n</c>-terminated line (JSON lines). A line holding only spaces, tabs or <c>\r</c> is not a
/// message and is skipped; a final line without its newline is taken when the stream ends. A line over the size limit
/// is discarded as it streams in (never buffered whole) and reported once its end is seen: the next line starts the
/// next message, so the stream always stays in step. The search for the newline resumes where the last one stopped
/// (the read loop hands back the incomplete line with more bytes after it), so a long line costs work linear in its size.
/// </summary>
public sealed class NewlineFraming : RpcFraming
{
    private bool _discarding;
    private long _scanned;   // bytes at the start of the buffer known to hold no newline (the incomplete line so far)

    /// <summary>Creates the framing for one connection.</summary>
    /// <param name="maxMessageSize">The longest line accepted, in bytes, without its newline.</param>
    public NewlineFraming(int maxMessageSize = DefaultMaxMessageSize) : base(maxMessageSize) { }

    /// <inheritdoc />
    public override string Name => "newline";

    /// <inheritdoc />
    public override RpcFrameStatus TryReadFrame(ref ReadOnlySequence<byte> buffer, bool isCompleted,
        out ReadOnlySequence<byte> frame, out string? error)
    {
        frame = default;
        error = null;
        while (true)
        {
            if (_scanned > buffer.Length) _scanned = 0;   // not the buffer of the last call: search it all
            ReadOnlySequence<byte> unscanned = buffer.Slice(_scanned);
            SequencePosition? newline = unscanned.PositionOf((byte)'\n');
            BytesExamined += newline is null ? unscanned.Length : unscanned.Slice(0, newline.Value).Length + 1;
            ReadOnlySequence<byte> line;
            if (newline is null)
            {
                _scanned = buffer.Length;
                // Too long already: drop it as it streams in, and report it once its end is seen.
                if (buffer.Length > MaxMessageSize) _discarding = true;
                if (_discarding)
                {
                    buffer = buffer.Slice(buffer.End);
                    _scanned = 0;
                    if (!isCompleted) return RpcFrameStatus.Incomplete;
                    _discarding = false;
                    return TooLarge(out error);
                }
                if (!isCompleted || buffer.IsEmpty) return RpcFrameStatus.Incomplete;
                line = buffer;
                buffer = buffer.Slice(buffer.End);
                _scanned = 0;
            }
            else
            {
                _scanned = 0;
                line = buffer.Slice(0, newline.Value);
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

    /// <summary>The bytes searched for a newline so far: the framing's work, which tests hold to a multiple of the bytes received.</summary>
    internal long BytesExamined { get; private set; }

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
