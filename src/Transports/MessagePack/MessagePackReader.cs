using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using SidecarKit.Wire;

namespace SidecarKit.Transports.MessagePack;

/// <summary>The MessagePack type of the next value.</summary>
public enum MessagePackType
{
    /// <summary>nil.</summary>
    Nil,
    /// <summary>true or false.</summary>
    Boolean,
    /// <summary>Any integer encoding.</summary>
    Integer,
    /// <summary>float32 or float64.</summary>
    Float,
    /// <summary>fixstr, str8/16/32.</summary>
    String,
    /// <summary>bin8/16/32.</summary>
    Binary,
    /// <summary>fixarray, array16/32.</summary>
    Array,
    /// <summary>fixmap, map16/32.</summary>
    Map,
    /// <summary>fixext, ext8/16/32.</summary>
    Extension,
}

/// <summary>
/// Reads MessagePack values from a <see cref="ReadOnlySequence{T}"/> holding complete values (frame them first with
/// <see cref="MessagePackFraming.TryGetObject"/>). Every integer encoding is accepted where an integer is asked for.
/// A value of the wrong type, or out of range, is a <see cref="WireFormatException"/>.
/// </summary>
public ref struct MessagePackReader
{
    private SequenceReader<byte> _r;

    /// <summary>Reads <paramref name="input"/> from its start.</summary>
    public MessagePackReader(ReadOnlySequence<byte> input) => _r = new SequenceReader<byte>(input);

    /// <summary>Whether every byte was read.</summary>
    public readonly bool End => _r.End;

    /// <summary>Bytes read so far.</summary>
    public readonly long Consumed => _r.Consumed;

    /// <summary>The format byte of the next value.</summary>
    public readonly byte NextCode => _r.TryPeek(out byte b) ? b : throw Truncated();

    /// <summary>The type of the next value.</summary>
    public readonly MessagePackType NextType => TypeOf(NextCode);

    internal static MessagePackType TypeOf(byte code) => code switch
    {
        <= MessagePackCode.MaxPositiveFixInt or >= MessagePackCode.MinNegativeFixInt => MessagePackType.Integer,
        <= MessagePackCode.MaxFixMap => MessagePackType.Map,
        <= MessagePackCode.MaxFixArray => MessagePackType.Array,
        <= MessagePackCode.MaxFixStr => MessagePackType.String,
        MessagePackCode.Nil => MessagePackType.Nil,
        MessagePackCode.False or MessagePackCode.True => MessagePackType.Boolean,
        MessagePackCode.Bin8 or MessagePackCode.Bin16 or MessagePackCode.Bin32 => MessagePackType.Binary,
        MessagePackCode.Ext8 or MessagePackCode.Ext16 or MessagePackCode.Ext32 or (>= MessagePackCode.FixExt1 and <= MessagePackCode.FixExt16) => MessagePackType.Extension,
        MessagePackCode.Float32 or MessagePackCode.Float64 => MessagePackType.Float,
        >= MessagePackCode.UInt8 and <= MessagePackCode.Int64 => MessagePackType.Integer,
        MessagePackCode.Str8 or MessagePackCode.Str16 or MessagePackCode.Str32 => MessagePackType.String,
        MessagePackCode.Array16 or MessagePackCode.Array32 => MessagePackType.Array,
        MessagePackCode.Map16 or MessagePackCode.Map32 => MessagePackType.Map,
        _ => throw new WireFormatException($"0x{code:x2} is not a valid MessagePack format byte."),
    };

    /// <summary>Reads nil if it comes next.</summary>
    public bool TryReadNil()
    {
        if (NextCode != MessagePackCode.Nil) return false;
        _r.Advance(1);
        return true;
    }

    /// <summary>Reads a Boolean.</summary>
    public bool ReadBoolean() => ReadByte() switch
    {
        MessagePackCode.True => true,
        MessagePackCode.False => false,
        byte c => throw Expected("a Boolean", c),
    };

    /// <summary>Reads an integer of any encoding as a signed 64-bit value.</summary>
    public long ReadInt64()
    {
        byte c = ReadByte();
        if (c <= MessagePackCode.MaxPositiveFixInt) return c;
        if (c >= MessagePackCode.MinNegativeFixInt) return unchecked((sbyte)c);
        return c switch
        {
            MessagePackCode.UInt8 => ReadByte(),
            MessagePackCode.UInt16 => BinaryPrimitives.ReadUInt16BigEndian(ReadSpan(2)),
            MessagePackCode.UInt32 => BinaryPrimitives.ReadUInt32BigEndian(ReadSpan(4)),
            MessagePackCode.UInt64 => BinaryPrimitives.ReadUInt64BigEndian(ReadSpan(8)) is var u && u <= long.MaxValue ? (long)u : throw WireFormatException.OutOfRange("Int64", u.ToString()),
            MessagePackCode.Int8 => unchecked((sbyte)ReadByte()),
            MessagePackCode.Int16 => BinaryPrimitives.ReadInt16BigEndian(ReadSpan(2)),
            MessagePackCode.Int32 => BinaryPrimitives.ReadInt32BigEndian(ReadSpan(4)),
            MessagePackCode.Int64 => BinaryPrimitives.ReadInt64BigEndian(ReadSpan(8)),
            _ => throw Expected("an integer", c),
        };
    }

    /// <summary>Reads a non-negative integer of any encoding.</summary>
    public ulong ReadUInt64()
    {
        if (NextCode == MessagePackCode.UInt64)
        {
            _r.Advance(1);
            return BinaryPrimitives.ReadUInt64BigEndian(ReadSpan(8));
        }
        long v = ReadInt64();
        return v >= 0 ? (ulong)v : throw WireFormatException.OutOfRange("UInt64", v.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Reads a float64, a float32, or an integer, as a double.</summary>
    public double ReadDouble()
    {
        switch (NextCode)
        {
            case MessagePackCode.Float64: _r.Advance(1); return BinaryPrimitives.ReadDoubleBigEndian(ReadSpan(8));
            case MessagePackCode.Float32: _r.Advance(1); return BinaryPrimitives.ReadSingleBigEndian(ReadSpan(4));
            case MessagePackCode.UInt64: return ReadUInt64();
            default:
                if (NextType == MessagePackType.Integer) return ReadInt64();
                throw Expected("a number", NextCode);
        }
    }

    /// <summary>Reads a number as a float32.</summary>
    public float ReadSingle()
    {
        if (NextCode == MessagePackCode.Float32)
        {
            _r.Advance(1);
            return BinaryPrimitives.ReadSingleBigEndian(ReadSpan(4));
        }
        double d = ReadDouble();
        float f = (float)d;
        return float.IsInfinity(f) && !double.IsInfinity(d) ? throw WireFormatException.OutOfRange("Single", d.ToString(System.Globalization.CultureInfo.InvariantCulture)) : f;
    }

    /// <summary>Reads the length of the next string and leaves the reader on its bytes.</summary>
    public int ReadStringHeader()
    {
        byte c = ReadByte();
        if (c is >= MessagePackCode.MinFixStr and <= MessagePackCode.MaxFixStr) return c & 0x1f;
        return c switch
        {
            MessagePackCode.Str8 => ReadByte(),
            MessagePackCode.Str16 => BinaryPrimitives.ReadUInt16BigEndian(ReadSpan(2)),
            MessagePackCode.Str32 => Length(BinaryPrimitives.ReadUInt32BigEndian(ReadSpan(4))),
            _ => throw Expected("a string", c),
        };
    }

    /// <summary>Reads a string (invalid UTF-8 is a <see cref="WireFormatException"/>).</summary>
    public string ReadString()
    {
        int length = ReadStringHeader();
        ReadOnlySequence<byte> bytes = ReadBytes(length);
        try
        {
            return s_strictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new WireFormatException("a string is not valid UTF-8.", e);
        }
    }

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Reads the next string's raw UTF-8 bytes.</summary>
    public ReadOnlySequence<byte> ReadStringBytes() => ReadBytes(ReadStringHeader());

    /// <summary>Reads a byte string.</summary>
    public byte[] ReadBinary()
    {
        byte c = ReadByte();
        int length = c switch
        {
            MessagePackCode.Bin8 => ReadByte(),
            MessagePackCode.Bin16 => BinaryPrimitives.ReadUInt16BigEndian(ReadSpan(2)),
            MessagePackCode.Bin32 => Length(BinaryPrimitives.ReadUInt32BigEndian(ReadSpan(4))),
            _ => throw Expected("a byte string (bin)", c),
        };
        return ReadBytes(length).ToArray();
    }

    /// <summary>Reads an array header: the number of items that follow.</summary>
    public int ReadArrayHeader()
    {
        byte c = ReadByte();
        if (c is >= MessagePackCode.MinFixArray and <= MessagePackCode.MaxFixArray) return c & 0x0f;
        return c switch
        {
            MessagePackCode.Array16 => BinaryPrimitives.ReadUInt16BigEndian(ReadSpan(2)),
            MessagePackCode.Array32 => Length(BinaryPrimitives.ReadUInt32BigEndian(ReadSpan(4))),
            _ => throw Expected("an array", c),
        };
    }

    /// <summary>Reads a map header: the number of key/value pairs that follow.</summary>
    public int ReadMapHeader()
    {
        byte c = ReadByte();
        if (c is >= MessagePackCode.MinFixMap and <= MessagePackCode.MaxFixMap) return c & 0x0f;
        return c switch
        {
            MessagePackCode.Map16 => BinaryPrimitives.ReadUInt16BigEndian(ReadSpan(2)),
            MessagePackCode.Map32 => Length(BinaryPrimitives.ReadUInt32BigEndian(ReadSpan(4))),
            _ => throw Expected("a map", c),
        };
    }

    /// <summary>Reads an extension header: its type and data length; the data follows.</summary>
    public (sbyte Type, int Length) ReadExtensionHeader()
    {
        byte c = ReadByte();
        int length = c switch
        {
            MessagePackCode.FixExt1 => 1,
            MessagePackCode.FixExt2 => 2,
            MessagePackCode.FixExt4 => 4,
            MessagePackCode.FixExt8 => 8,
            MessagePackCode.FixExt16 => 16,
            MessagePackCode.Ext8 => ReadByte(),
            MessagePackCode.Ext16 => BinaryPrimitives.ReadUInt16BigEndian(ReadSpan(2)),
            MessagePackCode.Ext32 => Length(BinaryPrimitives.ReadUInt32BigEndian(ReadSpan(4))),
            _ => throw Expected("an extension", c),
        };
        return (unchecked((sbyte)ReadByte()), length);
    }

    /// <summary>Reads <paramref name="length"/> raw bytes (an extension's data).</summary>
    public ReadOnlySequence<byte> ReadBytes(int length)
    {
        if (_r.Remaining < length) throw Truncated();
        ReadOnlySequence<byte> bytes = _r.UnreadSequence.Slice(0, length);
        _r.Advance(length);
        return bytes;
    }

    /// <summary>Reads a timestamp (extension -1) in any of its three forms, as seconds and nanoseconds since the Unix epoch.</summary>
    public (long Seconds, uint Nanoseconds) ReadTimestamp()
    {
        (sbyte type, int length) = ReadExtensionHeader();
        if (type != MessagePackCode.TimestampType) throw new WireFormatException($"expected a timestamp (extension -1), found extension {type}.");
        ReadOnlySpan<byte> data = ReadSpan(length);
        switch (length)
        {
            case 4: return (BinaryPrimitives.ReadUInt32BigEndian(data), 0);
            case 8:
                ulong packed = BinaryPrimitives.ReadUInt64BigEndian(data);
                return ((long)(packed & 0x3ffffffffUL), (uint)(packed >> 34));
            case 12: return (BinaryPrimitives.ReadInt64BigEndian(data[4..]), BinaryPrimitives.ReadUInt32BigEndian(data));
            default: throw new WireFormatException($"a timestamp has 4, 8 or 12 bytes of data, not {length}.");
        }
    }

    /// <summary>Reads a timestamp as a <see cref="DateTimeOffset"/> in UTC.</summary>
    public DateTimeOffset ReadDateTimeOffset()
    {
        (long seconds, uint nanoseconds) = ReadTimestamp();
        if (nanoseconds > 999_999_999) throw new WireFormatException("a timestamp's nanoseconds exceed 999,999,999.");
        try
        {
            return DateTimeOffset.UnixEpoch.AddSeconds(seconds).AddTicks(nanoseconds / 100);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new WireFormatException($"the timestamp {seconds} s is outside the range of DateTimeOffset.", e);
        }
    }

    /// <summary>Skips the next value, including everything nested in it.</summary>
    public void Skip()
    {
        long remaining = 1;
        while (remaining-- > 0)
        {
            byte c = NextCode;
            switch (TypeOf(c))
            {
                case MessagePackType.Array: remaining += ReadArrayHeader(); break;
                case MessagePackType.Map: remaining += 2L * ReadMapHeader(); break;
                case MessagePackType.String: _r.Advance(0); ReadBytes(ReadStringHeader()); break;
                case MessagePackType.Binary: ReadBinaryLength(); break;
                case MessagePackType.Extension: { var (_, length) = ReadExtensionHeader(); ReadBytes(length); break; }
                default: _r.Advance(MessagePackFraming.ScalarSize(c)); break;
            }
        }
    }

    private void ReadBinaryLength()
    {
        byte c = ReadByte();
        int length = c switch
        {
            MessagePackCode.Bin8 => ReadByte(),
            MessagePackCode.Bin16 => BinaryPrimitives.ReadUInt16BigEndian(ReadSpan(2)),
            _ => Length(BinaryPrimitives.ReadUInt32BigEndian(ReadSpan(4))),
        };
        ReadBytes(length);
    }

    private byte ReadByte() => _r.TryRead(out byte b) ? b : throw Truncated();

    private ReadOnlySpan<byte> ReadSpan(int length)
    {
        if (_r.UnreadSpan.Length >= length)
        {
            ReadOnlySpan<byte> span = _r.UnreadSpan[..length];
            _r.Advance(length);
            return span;
        }
        return ReadBytes(length).ToArray();
    }

    private static int Length(uint length) => length <= int.MaxValue ? (int)length : throw new WireFormatException($"a length of {length} bytes is too large.");

    private static WireFormatException Truncated() => new("the MessagePack value is truncated.");

    private readonly WireFormatException Expected(string what, byte code)
        => new($"expected {what}, found {Describe(code)} at byte {_r.Consumed - 1}.");

    private static string Describe(byte code) => code == MessagePackCode.NeverUsed ? "the reserved byte 0xc1" : TypeOf(code) switch
    {
        MessagePackType.Nil => "nil",
        MessagePackType.Boolean => "a Boolean",
        MessagePackType.Integer => "an integer",
        MessagePackType.Float => "a float",
        MessagePackType.String => "a string",
        MessagePackType.Binary => "a byte string",
        MessagePackType.Array => "an array",
        MessagePackType.Map => "a map",
        _ => "an extension",
    };
}
