using System.Buffers;

namespace SidecarKit.Transports.MessagePack.Tests;

/// <summary>The codec primitives against the MessagePack specification's encodings.</summary>
public class PrimitiveTests
{
    private static byte[] Write(Action<MessagePackWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(new MessagePackWriter(buffer));
        return buffer.WrittenSpan.ToArray();
    }

    private static string Hex(byte[] bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    [Theory]
    [InlineData(0L, "00")]
    [InlineData(127L, "7f")]
    [InlineData(128L, "cc80")]
    [InlineData(255L, "ccff")]
    [InlineData(256L, "cd0100")]
    [InlineData(65535L, "cdffff")]
    [InlineData(65536L, "ce00010000")]
    [InlineData(4294967295L, "ceffffffff")]
    [InlineData(4294967296L, "cf0000000100000000")]
    [InlineData(-1L, "ff")]
    [InlineData(-32L, "e0")]
    [InlineData(-33L, "d0df")]
    [InlineData(-128L, "d080")]
    [InlineData(-129L, "d1ff7f")]
    [InlineData(-32768L, "d18000")]
    [InlineData(-32769L, "d2ffff7fff")]
    [InlineData(-2147483648L, "d280000000")]
    [InlineData(-2147483649L, "d3ffffffff7fffffff")]
    [InlineData(long.MinValue, "d38000000000000000")]
    public void Integers_use_the_smallest_encoding_and_read_back(long value, string hex)
    {
        byte[] bytes = Write(w => w.WriteInt64(value));
        Assert.Equal(hex, Hex(bytes));
        var r = new MessagePackReader(new ReadOnlySequence<byte>(bytes));
        Assert.Equal(value, r.ReadInt64());
        Assert.True(r.End);
    }

    [Fact]
    public void UInt64_max_and_every_integer_encoding_is_readable_as_a_wider_type()
    {
        Assert.Equal("cfffffffffffffffff", Hex(Write(w => w.WriteUInt64(ulong.MaxValue))));
        Assert.Equal(ulong.MaxValue, new MessagePackReader(new ReadOnlySequence<byte>(Write(w => w.WriteUInt64(ulong.MaxValue)))).ReadUInt64());
        // Non-minimal encodings from other writers are valid input.
        foreach (string hex in new[] { "cc05", "cd0005", "ce00000005", "cf0000000000000005", "d005", "d10005", "d200000005", "d30000000000000005" })
            Assert.Equal(5, new MessagePackReader(new ReadOnlySequence<byte>(Convert.FromHexString(hex))).ReadInt64());
    }

    [Theory]
    [InlineData(0, "a0")]
    [InlineData(31, "bf")]
    [InlineData(32, "d920")]
    [InlineData(255, "d9ff")]
    [InlineData(256, "da0100")]
    [InlineData(65536, "db00010000")]
    public void String_headers_by_length(int length, string headerHex)
    {
        string s = new('x', length);
        byte[] bytes = Write(w => w.WriteString(s));
        Assert.StartsWith(headerHex, Hex(bytes));
        Assert.Equal(s, new MessagePackReader(new ReadOnlySequence<byte>(bytes)).ReadString());
    }

    [Theory]
    [InlineData(0, "c400")]
    [InlineData(256, "c50100")]
    [InlineData(65536, "c600010000")]
    public void Binary_headers_by_length(int length, string headerHex)
    {
        byte[] data = [.. Enumerable.Range(0, length).Select(i => (byte)i)];
        byte[] bytes = Write(w => w.WriteBinary(data));
        Assert.StartsWith(headerHex, Hex(bytes));
        Assert.Equal(data, new MessagePackReader(new ReadOnlySequence<byte>(bytes)).ReadBinary());
    }

    [Theory]
    [InlineData(0, "90", "80")]
    [InlineData(15, "9f", "8f")]
    [InlineData(16, "dc0010", "de0010")]
    [InlineData(65536, "dd00010000", "df00010000")]
    public void Array_and_map_headers(int count, string arrayHex, string mapHex)
    {
        Assert.Equal(arrayHex, Hex(Write(w => w.WriteArrayHeader(count))));
        Assert.Equal(mapHex, Hex(Write(w => w.WriteMapHeader(count))));
        Assert.Equal(count, new MessagePackReader(new ReadOnlySequence<byte>(Convert.FromHexString(arrayHex))).ReadArrayHeader());
        Assert.Equal(count, new MessagePackReader(new ReadOnlySequence<byte>(Convert.FromHexString(mapHex))).ReadMapHeader());
    }

    [Theory]
    [InlineData(0L, 0u, "d6ff00000000")]                                   // 32-bit form
    [InlineData(1700000000L, 0u, "d6ff6553f100")]
    [InlineData(1700000000L, 500u, "d7ff000007d06553f100")]               // 64-bit form
    [InlineData(-1L, 999999999u, "c70cff3b9ac9ffffffffffffffffff")]        // 96-bit form (before 1970)
    public void Timestamps_use_the_smallest_form(long seconds, uint nanoseconds, string hex)
    {
        byte[] bytes = Write(w => w.WriteTimestamp(seconds, nanoseconds));
        Assert.Equal(hex, Hex(bytes));
        Assert.Equal((seconds, nanoseconds), new MessagePackReader(new ReadOnlySequence<byte>(bytes)).ReadTimestamp());
    }

    [Fact]
    public void Floats_keep_every_bit_including_nan_and_negative_zero()
    {
        foreach (double d in new[] { double.NaN, -0.0, double.PositiveInfinity, double.Epsilon, double.MaxValue })
        {
            double back = new MessagePackReader(new ReadOnlySequence<byte>(Write(w => w.WriteDouble(d)))).ReadDouble();
            Assert.Equal(BitConverter.DoubleToInt64Bits(d), BitConverter.DoubleToInt64Bits(back));
        }
        Assert.Equal("ca3fc00000", Hex(Write(w => w.WriteSingle(1.5f))));
    }

    [Fact]
    public void Wrong_types_and_out_of_range_values_are_wire_format_errors()
    {
        Assert.Throws<SidecarKit.Wire.WireFormatException>(() => new MessagePackReader(new ReadOnlySequence<byte>([0xa1, 0x78])).ReadInt64());
        Assert.Throws<SidecarKit.Wire.WireFormatException>(() => new MessagePackReader(new ReadOnlySequence<byte>(Convert.FromHexString("cfffffffffffffffff"))).ReadInt64());
        Assert.Throws<SidecarKit.Wire.WireFormatException>(() => new MessagePackReader(new ReadOnlySequence<byte>([0xff])).ReadUInt64());
        Assert.Throws<SidecarKit.Wire.WireFormatException>(() => new MessagePackReader(new ReadOnlySequence<byte>([0xa2, 0xc3, 0x28])).ReadString()); // invalid UTF-8
        Assert.Throws<SidecarKit.Wire.WireFormatException>(() => new MessagePackReader(new ReadOnlySequence<byte>([0xcd, 0x01])).ReadInt64());       // truncated
    }
}

public class FramingTests
{
    private static readonly byte[] Sample = Convert.FromHexString(
        "94" + "00" + "01" + "a8" + "64656d6f2e616464" + "92" + "02" + "03"); // [0, 1, "demo.add", [2, 3]]

    [Fact]
    public void Every_prefix_of_an_object_is_incomplete_and_the_whole_is_complete()
    {
        for (int i = 0; i < Sample.Length; i++)
            Assert.Equal(FrameStatus.Incomplete, MessagePackFraming.TryGetObject(new ReadOnlySequence<byte>(Sample, 0, i), 64, 1 << 20, out _, out _));
        Assert.Equal(FrameStatus.Complete, MessagePackFraming.TryGetObject(new ReadOnlySequence<byte>([.. Sample, .. Sample]), 64, 1 << 20, out long length, out _));
        Assert.Equal(Sample.Length, length);
    }

    [Fact]
    public void The_reserved_byte_depth_and_size_limits_are_invalid()
    {
        Assert.Equal(FrameStatus.Invalid, MessagePackFraming.TryGetObject(new ReadOnlySequence<byte>([0x92, 0x01, 0xc1]), 64, 1 << 20, out _, out string? error));
        Assert.Contains("0xc1", error);
        byte[] deep = [.. Enumerable.Repeat((byte)0x91, 70), 0x00];
        Assert.Equal(FrameStatus.Invalid, MessagePackFraming.TryGetObject(new ReadOnlySequence<byte>(deep), 64, 1 << 20, out _, out error));
        Assert.Contains("nesting", error);
        Assert.Equal(FrameStatus.Complete, MessagePackFraming.TryGetObject(new ReadOnlySequence<byte>(deep), 70, 1 << 20, out _, out _));
        // A 1 MB string announced in its header is refused before its bytes arrive.
        Assert.Equal(FrameStatus.Invalid, MessagePackFraming.TryGetObject(new ReadOnlySequence<byte>(Convert.FromHexString("db00100000")), 64, 1024, out _, out error));
        Assert.Contains("larger than 1024", error);
    }
}
