using System.Buffers;
using System.Buffers.Binary;

namespace SidecarKit.Transports.MessagePack;

/// <summary>What <see cref="MessagePackFraming.TryGetObject"/> found.</summary>
public enum FrameStatus
{
    /// <summary>One complete object starts the buffer.</summary>
    Complete,
    /// <summary>The object is not complete yet: more bytes are needed.</summary>
    Incomplete,
    /// <summary>The bytes are not valid MessagePack, or break a limit; the stream cannot be resynchronised.</summary>
    Invalid,
}

/// <summary>
/// Finds where one MessagePack object ends in a stream of objects (MessagePack-RPC has no length prefix) without
/// throwing and without decoding: "incomplete" is an answer, not an error.
/// </summary>
public static class MessagePackFraming
{
    /// <summary>Looks for one complete object at the start of <paramref name="buffer"/>.</summary>
    /// <param name="buffer">The bytes received so far.</param>
    /// <param name="maxDepth">The deepest nesting of arrays and maps allowed.</param>
    /// <param name="maxSize">The largest object allowed, in bytes.</param>
    /// <param name="length">For <see cref="FrameStatus.Complete"/>: the object's length in bytes.</param>
    /// <param name="error">For <see cref="FrameStatus.Invalid"/>: why.</param>
    public static FrameStatus TryGetObject(ReadOnlySequence<byte> buffer, int maxDepth, long maxSize, out long length, out string? error)
    {
        var r = new SequenceReader<byte>(buffer);
        Span<long> remaining = maxDepth <= 256 ? stackalloc long[maxDepth + 1] : new long[maxDepth + 1];
        int top = 0;
        remaining[0] = 1;
        length = 0;
        error = null;
        while (top >= 0)
        {
            if (remaining[top] == 0) { top--; continue; }
            remaining[top]--;
            if (r.Consumed > maxSize) return TooLarge(maxSize, out error);
            if (!r.TryPeek(out byte c)) return FrameStatus.Incomplete;
            if (c == MessagePackCode.NeverUsed) { error = $"0xc1 is not a valid MessagePack format byte (at byte {r.Consumed})."; return FrameStatus.Invalid; }
            MessagePackType type = MessagePackReader.TypeOf(c);
            long count;
            long skip;
            switch (type)
            {
                case MessagePackType.Array:
                case MessagePackType.Map:
                {
                    if (!TryReadCount(ref r, c, out count)) return FrameStatus.Incomplete;
                    if (type == MessagePackType.Map) count *= 2;
                    if (count == 0) continue;
                    if (++top > maxDepth) { error = $"nesting deeper than {maxDepth} levels."; return FrameStatus.Invalid; }
                    remaining[top] = count;
                    continue;
                }
                case MessagePackType.String:
                case MessagePackType.Binary:
                case MessagePackType.Extension:
                    if (!TryReadCount(ref r, c, out skip)) return FrameStatus.Incomplete;
                    break;
                default:
                    skip = ScalarSize(c);
                    break;
            }
            if (r.Consumed + skip > maxSize) return TooLarge(maxSize, out error);
            if (r.Remaining < skip) return FrameStatus.Incomplete;
            r.Advance(skip);
        }
        length = r.Consumed;
        return length > maxSize ? TooLarge(maxSize, out error) : FrameStatus.Complete;
    }

    private static FrameStatus TooLarge(long maxSize, out string error)
    {
        error = $"a message larger than {maxSize} bytes.";
        return FrameStatus.Invalid;
    }

    // Reads a header and returns its count (arrays, maps) or the number of data bytes that follow it (str, bin, ext:
    // for ext, the type byte is included in the bytes to skip).
    private static bool TryReadCount(ref SequenceReader<byte> r, byte c, out long count)
    {
        count = 0;
        int header;
        long extra = 0;
        switch (c)
        {
            case >= MessagePackCode.MinFixMap and <= MessagePackCode.MaxFixMap: r.Advance(1); count = c & 0x0f; return true;
            case >= MessagePackCode.MinFixArray and <= MessagePackCode.MaxFixArray: r.Advance(1); count = c & 0x0f; return true;
            case >= MessagePackCode.MinFixStr and <= MessagePackCode.MaxFixStr: r.Advance(1); count = c & 0x1f; return true;
            case MessagePackCode.FixExt1: r.Advance(1); count = 2; return true;
            case MessagePackCode.FixExt2: r.Advance(1); count = 3; return true;
            case MessagePackCode.FixExt4: r.Advance(1); count = 5; return true;
            case MessagePackCode.FixExt8: r.Advance(1); count = 9; return true;
            case MessagePackCode.FixExt16: r.Advance(1); count = 17; return true;
            case MessagePackCode.Str8 or MessagePackCode.Bin8: header = 1; break;
            case MessagePackCode.Ext8: header = 1; extra = 1; break;
            case MessagePackCode.Str16 or MessagePackCode.Bin16 or MessagePackCode.Array16 or MessagePackCode.Map16: header = 2; break;
            case MessagePackCode.Ext16: header = 2; extra = 1; break;
            case MessagePackCode.Ext32: header = 4; extra = 1; break;
            default: header = 4; break; // str32, bin32, array32, map32
        }
        if (r.Remaining < 1 + header) return false;
        Span<byte> bytes = stackalloc byte[4];
        r.Advance(1);
        r.TryCopyTo(bytes[..header]);
        r.Advance(header);
        count = header switch
        {
            1 => bytes[0],
            2 => BinaryPrimitives.ReadUInt16BigEndian(bytes),
            _ => BinaryPrimitives.ReadUInt32BigEndian(bytes),
        } + extra;
        return true;
    }

    /// <summary>The total size of a scalar (header included) that starts with <paramref name="code"/>.</summary>
    internal static int ScalarSize(byte code) => code switch
    {
        <= MessagePackCode.MaxPositiveFixInt or >= MessagePackCode.MinNegativeFixInt => 1,
        MessagePackCode.Nil or MessagePackCode.False or MessagePackCode.True => 1,
        MessagePackCode.UInt8 or MessagePackCode.Int8 => 2,
        MessagePackCode.UInt16 or MessagePackCode.Int16 => 3,
        MessagePackCode.UInt32 or MessagePackCode.Int32 or MessagePackCode.Float32 => 5,
        MessagePackCode.UInt64 or MessagePackCode.Int64 or MessagePackCode.Float64 => 9,
        _ => throw new InvalidOperationException($"0x{code:x2} is not a scalar."),
    };
}
