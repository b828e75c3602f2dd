using System.Buffers;
using System.Buffers.Binary;
using MessagePack;

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
/// throwing and without decoding: "incomplete" is an answer, not an error. Walks the object with MessagePack-CSharp's
/// <see cref="MessagePackReader"/> (its non-throwing header reads), so that a size or depth limit is enforced as soon as
/// a header announces too much, before the bytes arrive.
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
        var r = new MessagePackReader(buffer);
        long available = buffer.Length;
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
            if (r.End) return FrameStatus.Incomplete;
            byte code = r.NextCode;
            long data; // the bytes that follow the header (str, bin, ext) or make the whole value (scalars)
            switch (MessagePackCode.ToMessagePackType(code))
            {
                case MessagePackType.Array:
                case MessagePackType.Map:
                {
                    bool isMap = MessagePackCode.ToMessagePackType(code) == MessagePackType.Map;
                    int header;
                    if (!(isMap ? r.TryReadMapHeader(out header) : r.TryReadArrayHeader(out header))) return FrameStatus.Incomplete;
                    long count = (uint)header * (isMap ? 2L : 1L); // a 32-bit count is unsigned
                    if (count == 0) continue;
                    if (++top > maxDepth) { error = $"nesting deeper than {maxDepth} levels."; return FrameStatus.Invalid; }
                    remaining[top] = count;
                    continue;
                }
                case MessagePackType.Extension:
                    if (!r.TryReadExtensionFormatHeader(out ExtensionHeader extension)) return FrameStatus.Incomplete;
                    data = extension.Length;
                    break;
                case MessagePackType.String:
                case MessagePackType.Binary:
                    if (!TryReadLength(ref r, code, available, out data)) return FrameStatus.Incomplete;
                    break;
                case MessagePackType.Unknown:
                    error = $"0x{code:x2} is not a valid MessagePack format byte (at byte {r.Consumed}).";
                    return FrameStatus.Invalid;
                default:
                    data = ScalarSize(code);
                    break;
            }
            if (r.Consumed + data > maxSize) return TooLarge(maxSize, out error);
            if (available - r.Consumed < data) return FrameStatus.Incomplete;
            r.ReadRaw(data);
        }
        length = r.Consumed;
        return length > maxSize ? TooLarge(maxSize, out error) : FrameStatus.Complete;
    }

    private static FrameStatus TooLarge(long maxSize, out string error)
    {
        error = $"a message larger than {maxSize} bytes.";
        return FrameStatus.Invalid;
    }

    // The library reads a str or bin header only together with its bytes (and throws when they are not all there), so
    // the length is read here: fixstr carries it in the format byte, the others in the 1, 2 or 4 bytes after it.
    private static bool TryReadLength(ref MessagePackReader r, byte code, long available, out long length)
    {
        int size = code switch
        {
            MessagePackCode.Str8 or MessagePackCode.Bin8 => 1,
            MessagePackCode.Str16 or MessagePackCode.Bin16 => 2,
            MessagePackCode.Str32 or MessagePackCode.Bin32 => 4,
            _ => 0,
        };
        length = 0;
        if (available - r.Consumed < 1 + size) return false;
        Span<byte> header = stackalloc byte[5];
        r.ReadRaw(1 + size).CopyTo(header);
        length = size switch
        {
            0 => code & 0x1f,
            1 => header[1],
            2 => BinaryPrimitives.ReadUInt16BigEndian(header[1..]),
            _ => BinaryPrimitives.ReadUInt32BigEndian(header[1..]),
        };
        return true;
    }

    // The whole size of a scalar (nil, Boolean, integer, float) from its format byte, as the specification fixes it.
    private static int ScalarSize(byte code) => code switch
    {
        MessagePackCode.UInt8 or MessagePackCode.Int8 => 2,
        MessagePackCode.UInt16 or MessagePackCode.Int16 => 3,
        MessagePackCode.UInt32 or MessagePackCode.Int32 or MessagePackCode.Float32 => 5,
        MessagePackCode.UInt64 or MessagePackCode.Int64 or MessagePackCode.Float64 => 9,
        _ => 1, // fixint, nil, false, true
    };
}
