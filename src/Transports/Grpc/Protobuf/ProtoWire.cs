using System.Buffers.Binary;

namespace SidecarKit.Transports.Grpc.Protobuf;

/// <summary>Protocol Buffers wire types and the varint arithmetic both directions share.</summary>
internal static class ProtoWire
{
    public const int Varint = 0;
    public const int Fixed64 = 1;
    public const int Len = 2;
    public const int Fixed32 = 5;

    /// <summary>Nesting deeper than this is refused (protobuf's own default recursion limit is 100).</summary>
    public const int MaxDepth = 100;

    public static int VarintSize(ulong value) => value < 0x80 ? 1 : (70 - System.Numerics.BitOperations.LeadingZeroCount(value)) / 7;

    public static int WriteVarint(Span<byte> span, ulong value)
    {
        int i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[i++] = (byte)value;
        return i;
    }

    /// <summary>Reads a varint at <paramref name="pos"/>; fails on truncation or more than ten bytes.</summary>
    public static ulong ReadVarint(ReadOnlySpan<byte> span, ref int pos, int end)
    {
        ulong result = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            if (pos >= end) throw Truncated();
            byte b = span[pos++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return result;
        }
        throw new SidecarKit.Wire.WireFormatException("a varint is longer than ten bytes.");
    }

    public static uint ReadFixed32(ReadOnlySpan<byte> span, ref int pos, int end)
    {
        if (end - pos < 4) throw Truncated();
        uint v = BinaryPrimitives.ReadUInt32LittleEndian(span[pos..]);
        pos += 4;
        return v;
    }

    public static ulong ReadFixed64(ReadOnlySpan<byte> span, ref int pos, int end)
    {
        if (end - pos < 8) throw Truncated();
        ulong v = BinaryPrimitives.ReadUInt64LittleEndian(span[pos..]);
        pos += 8;
        return v;
    }

    /// <summary>Passes over the value of a field of <paramref name="wireType"/> at <paramref name="pos"/>.</summary>
    public static void SkipField(ReadOnlySpan<byte> span, int wireType, ref int pos, int end)
    {
        switch (wireType)
        {
            case Varint: ReadVarint(span, ref pos, end); break;
            case Fixed64: ReadFixed64(span, ref pos, end); break;
            case Fixed32: ReadFixed32(span, ref pos, end); break;
            case Len:
                ulong length = ReadVarint(span, ref pos, end);
                if (length > (ulong)(end - pos)) throw Truncated();
                pos += (int)length;
                break;
            default: throw new SidecarKit.Wire.WireFormatException($"wire type {wireType} is not used by proto3.");
        }
    }

    public static SidecarKit.Wire.WireFormatException Truncated() => new("the message ends in the middle of a field.");
}
