using System.Buffers;
using System.Buffers.Binary;
using MessagePack;

namespace SidecarKit.Transports.MessagePack;

/// <summary>
/// Finds where one MessagePack object ends, resuming where the previous call stopped: a connection's bytes arrive in
/// pieces, and walking the object from its start again on every piece made a 16 MiB message of one-byte elements cost
/// seconds of CPU (quadratic in its size). What it keeps between calls is small: how many elements each open array or
/// map still holds, and how far into the object the walk got. Each byte is looked at once (a header split across two
/// reads, at most 9 bytes, twice); the bodies of strings, binaries and extensions are stepped over, not read.
/// </summary>
/// <remarks>
/// Between a call that answers <see cref="FrameStatus.Incomplete"/> and the next, the buffer must start at the same
/// byte (the object's first) and hold at least as much: the connection's read loop leaves an incomplete object
/// unconsumed, so it does. A shorter buffer restarts the walk from the object's start. One instance per connection.
/// </remarks>
internal sealed class MessagePackObjectScanner
{
    private readonly int _maxDepth;
    private readonly long _maxSize;
    private readonly long[] _remaining; // per open level, the elements not yet started (a map counts keys and values)
    private int _top = -1;              // the innermost open level; -1 between objects
    private long _position;             // where the next element starts, from the object's first byte; past the end
                                        // of the buffer while a body is still arriving
    private long _pending;              // the sum of _remaining: each needs at least one more byte
    private long _available;            // the buffer's length at the last call

    /// <summary>Creates a scanner.</summary>
    /// <param name="maxDepth">The deepest nesting of arrays and maps allowed.</param>
    /// <param name="maxSize">The largest object allowed, in bytes.</param>
    public MessagePackObjectScanner(int maxDepth, long maxSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxDepth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSize);
        _maxDepth = maxDepth;
        _maxSize = maxSize;
        _remaining = new long[maxDepth + 1];
    }

    /// <summary>
    /// The bytes looked at since this scanner was created: format bytes and the lengths and counts after them, not the
    /// bodies stepped over. A measure of the work done, for tests that hold framing to linear cost.
    /// </summary>
    internal long BytesExamined { get; private set; }

    /// <summary>Forgets the object in progress: the next call starts a new one.</summary>
    public void Reset() => _top = -1;

    /// <summary>Looks for one complete object at the start of <paramref name="buffer"/>, resuming the previous walk.</summary>
    /// <param name="buffer">The bytes received so far, from the object's first byte.</param>
    /// <param name="length">For <see cref="FrameStatus.Complete"/>: the object's length in bytes.</param>
    /// <param name="error">For <see cref="FrameStatus.Invalid"/>: why.</param>
    public FrameStatus TryGetObject(ReadOnlySequence<byte> buffer, out long length, out string? error)
    {
        length = 0;
        error = null;
        long available = buffer.Length;
        if (_top < 0 || available < _available)
        {
            _top = 0;
            _remaining[0] = 1;
            _pending = 1;
            _position = 0;
        }
        _available = available;
        if (_position > available) return FrameStatus.Incomplete; // a body is still arriving

        long origin = _position;
        var r = new MessagePackReader(buffer.Slice(origin));
        while (true)
        {
            while (_remaining[_top] == 0)
            {
                if (--_top < 0)
                {
                    length = _position;
                    return FrameStatus.Complete; // _top < 0: the next call starts a new object
                }
            }
            if (r.End) return FrameStatus.Incomplete;

            byte code = r.NextCode;
            long data; // the bytes that follow the header (str, bin, ext) or make the whole value (scalars)
            long count = 0; // for arrays and maps: the elements they hold
            switch (MessagePackCode.ToMessagePackType(code))
            {
                case MessagePackType.Array:
                case MessagePackType.Map:
                {
                    bool isMap = MessagePackCode.ToMessagePackType(code) == MessagePackType.Map;
                    if (!(isMap ? r.TryReadMapHeader(out int header) : r.TryReadArrayHeader(out header)))
                        return HeaderIncomplete(available);
                    count = (uint)header * (isMap ? 2L : 1L); // a 32-bit count is unsigned
                    data = 0;
                    break;
                }
                case MessagePackType.Extension:
                    if (!r.TryReadExtensionFormatHeader(out ExtensionHeader extension)) return HeaderIncomplete(available);
                    data = extension.Length;
                    break;
                case MessagePackType.String:
                case MessagePackType.Binary:
                    if (!TryReadLength(ref r, code, available - origin - r.Consumed, out data)) return HeaderIncomplete(available);
                    break;
                case MessagePackType.Unknown:
                    BytesExamined++;
                    Reset();
                    error = $"0x{code:x2} is not a valid MessagePack format byte (at byte {_position}).";
                    return FrameStatus.Invalid;
                default:
                    data = ScalarSize(code) - 1;
                    r.ReadRaw(1); // the format byte; the rest of the scalar is stepped over below
                    break;
            }

            long headerLength = origin + r.Consumed - _position;
            BytesExamined += headerLength;
            _remaining[_top]--;
            _pending--;
            // Every element still announced takes at least one byte: a header that announces more than the limit can
            // hold (a 4 GiB array32, a 100 MiB str32) is refused now, before any of it arrives.
            if (_position + headerLength + data + count + _pending > _maxSize)
            {
                Reset();
                error = $"a message larger than {_maxSize} bytes.";
                return FrameStatus.Invalid;
            }
            _position += headerLength + data;
            if (count > 0)
            {
                if (_top == _maxDepth)
                {
                    Reset();
                    error = $"nesting deeper than {_maxDepth} levels.";
                    return FrameStatus.Invalid;
                }
                _remaining[++_top] = count;
                _pending += count;
            }
            if (data > 0)
            {
                if (_position > available) return FrameStatus.Incomplete;
                r.ReadRaw(data);
            }
        }
    }

    // A header cut off by the end of what arrived: it is read again, whole, next time.
    private FrameStatus HeaderIncomplete(long available)
    {
        BytesExamined += available - _position;
        return FrameStatus.Incomplete;
    }

    // The library reads a str or bin header only together with its bytes (and throws when they are not all there), so
    // the length is read here: fixstr carries it in the format byte, the others in the 1, 2 or 4 bytes after it.
    private static bool TryReadLength(ref MessagePackReader r, byte code, long left, out long length)
    {
        int size = code switch
        {
            MessagePackCode.Str8 or MessagePackCode.Bin8 => 1,
            MessagePackCode.Str16 or MessagePackCode.Bin16 => 2,
            MessagePackCode.Str32 or MessagePackCode.Bin32 => 4,
            _ => 0,
        };
        length = 0;
        if (left < 1 + size) return false;
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
