using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace SidecarKit.Transports.MessagePack;

/// <summary>
/// Writes MessagePack to an <see cref="IBufferWriter{T}"/>, always choosing the smallest encoding the specification
/// allows (integers, strings, binaries, arrays, maps, extensions).
/// </summary>
public readonly struct MessagePackWriter(IBufferWriter<byte> output)
{
    private Span<byte> Take(int size) => output.GetSpan(size);

    private void Done(int size) => output.Advance(size);

    /// <summary>Writes nil.</summary>
    public void WriteNil() => WriteByte(MessagePackCode.Nil);

    /// <summary>Writes a Boolean.</summary>
    public void WriteBoolean(bool value) => WriteByte(value ? MessagePackCode.True : MessagePackCode.False);

    private void WriteByte(byte b)
    {
        Take(1)[0] = b;
        Done(1);
    }

    /// <summary>Writes a signed integer in its smallest encoding.</summary>
    public void WriteInt64(long value)
    {
        if (value >= 0)
        {
            WriteUInt64((ulong)value);
            return;
        }
        Span<byte> s = Take(9);
        if (value >= -32) { s[0] = unchecked((byte)value); Done(1); }
        else if (value >= sbyte.MinValue) { s[0] = MessagePackCode.Int8; s[1] = unchecked((byte)value); Done(2); }
        else if (value >= short.MinValue) { s[0] = MessagePackCode.Int16; BinaryPrimitives.WriteInt16BigEndian(s[1..], (short)value); Done(3); }
        else if (value >= int.MinValue) { s[0] = MessagePackCode.Int32; BinaryPrimitives.WriteInt32BigEndian(s[1..], (int)value); Done(5); }
        else { s[0] = MessagePackCode.Int64; BinaryPrimitives.WriteInt64BigEndian(s[1..], value); Done(9); }
    }

    /// <summary>Writes an unsigned integer in its smallest encoding.</summary>
    public void WriteUInt64(ulong value)
    {
        Span<byte> s = Take(9);
        if (value <= MessagePackCode.MaxPositiveFixInt) { s[0] = (byte)value; Done(1); }
        else if (value <= byte.MaxValue) { s[0] = MessagePackCode.UInt8; s[1] = (byte)value; Done(2); }
        else if (value <= ushort.MaxValue) { s[0] = MessagePackCode.UInt16; BinaryPrimitives.WriteUInt16BigEndian(s[1..], (ushort)value); Done(3); }
        else if (value <= uint.MaxValue) { s[0] = MessagePackCode.UInt32; BinaryPrimitives.WriteUInt32BigEndian(s[1..], (uint)value); Done(5); }
        else { s[0] = MessagePackCode.UInt64; BinaryPrimitives.WriteUInt64BigEndian(s[1..], value); Done(9); }
    }

    /// <summary>Writes a float32.</summary>
    public void WriteSingle(float value)
    {
        Span<byte> s = Take(5);
        s[0] = MessagePackCode.Float32;
        BinaryPrimitives.WriteSingleBigEndian(s[1..], value);
        Done(5);
    }

    /// <summary>Writes a float64.</summary>
    public void WriteDouble(double value)
    {
        Span<byte> s = Take(9);
        s[0] = MessagePackCode.Float64;
        BinaryPrimitives.WriteDoubleBigEndian(s[1..], value);
        Done(9);
    }

    /// <summary>Writes a string as UTF-8 (str8/16/32 or fixstr).</summary>
    public void WriteString(string value)
    {
        int length = Encoding.UTF8.GetByteCount(value);
        WriteStringHeader(length);
        Span<byte> s = Take(length);
        Encoding.UTF8.GetBytes(value, s);
        Done(length);
    }

    /// <summary>Writes a string already encoded as UTF-8.</summary>
    public void WriteString(ReadOnlySpan<byte> utf8)
    {
        WriteStringHeader(utf8.Length);
        WriteRaw(utf8);
    }

    /// <summary>Writes the header of a string of <paramref name="length"/> UTF-8 bytes.</summary>
    public void WriteStringHeader(int length)
    {
        Span<byte> s = Take(5);
        if (length <= 31) { s[0] = (byte)(MessagePackCode.MinFixStr | length); Done(1); }
        else if (length <= byte.MaxValue) { s[0] = MessagePackCode.Str8; s[1] = (byte)length; Done(2); }
        else if (length <= ushort.MaxValue) { s[0] = MessagePackCode.Str16; BinaryPrimitives.WriteUInt16BigEndian(s[1..], (ushort)length); Done(3); }
        else { s[0] = MessagePackCode.Str32; BinaryPrimitives.WriteUInt32BigEndian(s[1..], (uint)length); Done(5); }
    }

    /// <summary>Writes a byte string (bin8/16/32).</summary>
    public void WriteBinary(ReadOnlySpan<byte> value)
    {
        Span<byte> s = Take(5);
        int length = value.Length;
        if (length <= byte.MaxValue) { s[0] = MessagePackCode.Bin8; s[1] = (byte)length; Done(2); }
        else if (length <= ushort.MaxValue) { s[0] = MessagePackCode.Bin16; BinaryPrimitives.WriteUInt16BigEndian(s[1..], (ushort)length); Done(3); }
        else { s[0] = MessagePackCode.Bin32; BinaryPrimitives.WriteUInt32BigEndian(s[1..], (uint)length); Done(5); }
        WriteRaw(value);
    }

    /// <summary>Writes the header of an array of <paramref name="count"/> items.</summary>
    public void WriteArrayHeader(int count)
    {
        Span<byte> s = Take(5);
        if (count <= 15) { s[0] = (byte)(MessagePackCode.MinFixArray | count); Done(1); }
        else if (count <= ushort.MaxValue) { s[0] = MessagePackCode.Array16; BinaryPrimitives.WriteUInt16BigEndian(s[1..], (ushort)count); Done(3); }
        else { s[0] = MessagePackCode.Array32; BinaryPrimitives.WriteUInt32BigEndian(s[1..], (uint)count); Done(5); }
    }

    /// <summary>Writes the header of a map of <paramref name="count"/> entries.</summary>
    public void WriteMapHeader(int count)
    {
        Span<byte> s = Take(5);
        if (count <= 15) { s[0] = (byte)(MessagePackCode.MinFixMap | count); Done(1); }
        else if (count <= ushort.MaxValue) { s[0] = MessagePackCode.Map16; BinaryPrimitives.WriteUInt16BigEndian(s[1..], (ushort)count); Done(3); }
        else { s[0] = MessagePackCode.Map32; BinaryPrimitives.WriteUInt32BigEndian(s[1..], (uint)count); Done(5); }
    }

    /// <summary>Writes an extension value (fixext1/2/4/8/16 or ext8/16/32).</summary>
    public void WriteExtension(sbyte type, ReadOnlySpan<byte> data)
    {
        Span<byte> s = Take(6);
        int length = data.Length;
        int header;
        switch (length)
        {
            case 1: s[0] = MessagePackCode.FixExt1; header = 1; break;
            case 2: s[0] = MessagePackCode.FixExt2; header = 1; break;
            case 4: s[0] = MessagePackCode.FixExt4; header = 1; break;
            case 8: s[0] = MessagePackCode.FixExt8; header = 1; break;
            case 16: s[0] = MessagePackCode.FixExt16; header = 1; break;
            default:
                if (length <= byte.MaxValue) { s[0] = MessagePackCode.Ext8; s[1] = (byte)length; header = 2; }
                else if (length <= ushort.MaxValue) { s[0] = MessagePackCode.Ext16; BinaryPrimitives.WriteUInt16BigEndian(s[1..], (ushort)length); header = 3; }
                else { s[0] = MessagePackCode.Ext32; BinaryPrimitives.WriteUInt32BigEndian(s[1..], (uint)length); header = 5; }
                break;
        }
        s[header] = unchecked((byte)type);
        Done(header + 1);
        WriteRaw(data);
    }

    /// <summary>
    /// Writes a timestamp (extension -1) in its smallest form: 32-bit seconds, 64-bit (30-bit nanoseconds + 34-bit
    /// seconds), or 96-bit (32-bit nanoseconds + 64-bit signed seconds).
    /// </summary>
    public void WriteTimestamp(long seconds, uint nanoseconds)
    {
        Span<byte> data = stackalloc byte[12];
        if ((ulong)seconds >> 34 == 0)
        {
            ulong packed = ((ulong)nanoseconds << 34) | (ulong)seconds;
            if ((packed & 0xffffffff00000000UL) == 0)
            {
                BinaryPrimitives.WriteUInt32BigEndian(data, (uint)packed);
                WriteExtension(MessagePackCode.TimestampType, data[..4]);
            }
            else
            {
                BinaryPrimitives.WriteUInt64BigEndian(data, packed);
                WriteExtension(MessagePackCode.TimestampType, data[..8]);
            }
            return;
        }
        BinaryPrimitives.WriteUInt32BigEndian(data, nanoseconds);
        BinaryPrimitives.WriteInt64BigEndian(data[4..], seconds);
        WriteExtension(MessagePackCode.TimestampType, data);
    }

    /// <summary>Writes a <see cref="DateTimeOffset"/> as a timestamp (its UTC instant; the offset is not kept).</summary>
    public void WriteTimestamp(DateTimeOffset value)
    {
        long ticks = value.UtcTicks - DateTime.UnixEpoch.Ticks;
        long seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out long rest);
        if (rest < 0) { seconds--; rest += TimeSpan.TicksPerSecond; }
        WriteTimestamp(seconds, (uint)(rest * 100));
    }

    /// <summary>Copies bytes that are already MessagePack.</summary>
    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return;
        bytes.CopyTo(Take(bytes.Length));
        Done(bytes.Length);
    }
}
