using System.Buffers;

namespace SidecarKit.Rpc.Framing;

/// <summary>
/// One message per <c>\n</c>-terminated line (JSON lines). A line holding only spaces, tabs or <c>\r</c> is not a
/// message and is skipped; a final line without its newline is taken when the stream ends. A line over the size limit
/// is discarded as it streams in (never buffered whole) and reported once its end is seen: the next line starts the
/// next message, so the stream always stays in step.
/// </summary>
public sealed class NewlineFraming : RpcFraming
{
    private bool _discarding;

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
            SequencePosition? newline = buffer.PositionOf((byte)'\n');
            ReadOnlySequence<byte> line;
            if (newline is null)
            {
                // Too long already: drop it as it streams in, and report it once its end is seen.
                if (buffer.Length > MaxMessageSize) _discarding = true;
                if (_discarding)
                {
                    buffer = buffer.Slice(buffer.End);
                    if (!isCompleted) return RpcFrameStatus.Incomplete;
                    _discarding = false;
                    return TooLarge(out error);
                }
                if (!isCompleted || buffer.IsEmpty) return RpcFrameStatus.Incomplete;
                line = buffer;
                buffer = buffer.Slice(buffer.End);
            }
            else
            {
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
