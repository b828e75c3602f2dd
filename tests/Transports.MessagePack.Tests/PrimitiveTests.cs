using System.Buffers;
using MessagePack;
using SidecarKit.Wire;

namespace SidecarKit.Transports.MessagePack.Tests;

/// <summary>
/// The encodings the generated codecs produce through <see cref="MessagePackWireWriter"/> (MessagePack-CSharp's writer
/// underneath) against the MessagePack specification's, and read back through <see cref="MessagePackWireReader"/>.
/// </summary>
public class PrimitiveTests
{
    private delegate void WriteAction(ref MessagePackWireWriter writer);

    private static byte[] Write(WriteAction write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWireWriter(buffer);
        write(ref writer);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static MessagePackWireReader Reader(byte[] bytes) => new(new ReadOnlyMemory<byte>(bytes));

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
        byte[] bytes = Write((ref MessagePackWireWriter w) => w.WriteInt64(value));
        Assert.Equal(hex, Hex(bytes));
        MessagePackWireReader r = Reader(bytes);
        Assert.Equal(value, r.ReadInt64());
        Assert.Equal(WireTokenKind.None, r.TokenKind);
    }

    [Fact]
    public void UInt64_max_and_every_integer_encoding_is_readable_as_a_wider_type()
    {
        Assert.Equal("cfffffffffffffffff", Hex(Write((ref MessagePackWireWriter w) => w.WriteUInt64(ulong.MaxValue))));
        Assert.Equal(ulong.MaxValue, Reader(Write((ref MessagePackWireWriter w) => w.WriteUInt64(ulong.MaxValue))).ReadUInt64());
        // Non-minimal encodings from other writers are valid input.
        foreach (string hex in new[] { "cc05", "cd0005", "ce00000005", "cf0000000000000005", "d005", "d10005", "d200000005", "d30000000000000005" })
            Assert.Equal(5, Reader(Convert.FromHexString(hex)).ReadInt64());
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
        byte[] bytes = Write((ref MessagePackWireWriter w) => w.WriteString(s));
        Assert.StartsWith(headerHex, Hex(bytes));
        Assert.Equal(s, Reader(bytes).ReadString());
    }

    [Theory]
    [InlineData(0, "c400")]
    [InlineData(256, "c50100")]
    [InlineData(65536, "c600010000")]
    public void Binary_headers_by_length(int length, string headerHex)
    {
        byte[] data = [.. Enumerable.Range(0, length).Select(i => (byte)i)];
        byte[] bytes = Write((ref MessagePackWireWriter w) => w.WriteBytes(data));
        Assert.StartsWith(headerHex, Hex(bytes));
        Assert.Equal(data, Reader(bytes).ReadBytes());
    }

    [Theory]
    [InlineData(0, "90", "80")]
    [InlineData(15, "9f", "8f")]
    [InlineData(16, "dc0010", "de0010")]
    [InlineData(65536, "dd00010000", "df00010000")]
    public void Array_and_map_headers(int count, string arrayHex, string mapHex)
    {
        Assert.Equal(arrayHex, Hex(Write((ref MessagePackWireWriter w) => w.WriteStartArray(count))));
        Assert.Equal(mapHex, Hex(Write((ref MessagePackWireWriter w) => w.WriteStartMap(count))));
        // The headers alone (the items are not there): read with the library's non-throwing header reads.
        var r = new MessagePackReader(Convert.FromHexString(arrayHex));
        Assert.True(r.TryReadArrayHeader(out int items));
        Assert.Equal(count, items);
        r = new MessagePackReader(Convert.FromHexString(mapHex));
        Assert.True(r.TryReadMapHeader(out int entries));
        Assert.Equal(count, entries);
    }

    [Theory]
    [InlineData(0L, 0u, "d6ff00000000")]                                   // 32-bit form
    [InlineData(1700000000L, 0u, "d6ff6553f100")]
    [InlineData(1700000000L, 500u, "d7ff000007d06553f100")]               // 64-bit form
    [InlineData(-1L, 999999900u, "c70cff3b9ac99cffffffffffffffff")]        // 96-bit form (before 1970; DateTime holds 100 ns ticks)
    public void Timestamps_use_the_smallest_form(long seconds, uint nanoseconds, string hex)
    {
        DateTimeOffset instant = DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(nanoseconds / 100);
        byte[] bytes = Write((ref MessagePackWireWriter w) => w.WriteDateTimeOffset(instant));
        Assert.Equal(hex, Hex(bytes));
        Assert.Equal(instant, Reader(bytes).ReadDateTimeOffset());
        Assert.Equal(hex, Hex(Write((ref MessagePackWireWriter w) => w.WriteDateTime(instant.UtcDateTime))));
        Assert.Equal(instant.UtcDateTime, Reader(bytes).ReadDateTime());
    }

    [Fact]
    public void Timestamps_finer_than_a_tick_are_read_to_the_tick()
    {
        // -1 s + 999,999,999 ns: the 96-bit form another writer may send; DateTime keeps 9,999,999 ticks of it.
        DateTimeOffset back = Reader(Convert.FromHexString("c70cff3b9ac9ffffffffffffffffff")).ReadDateTimeOffset();
        Assert.Equal(DateTimeOffset.UnixEpoch.AddSeconds(-1).AddTicks(9_999_999), back);
    }

    [Fact]
    public void Floats_keep_every_bit_including_nan_and_negative_zero()
    {
        foreach (double d in new[] { double.NaN, -0.0, double.PositiveInfinity, double.Epsilon, double.MaxValue })
        {
            double back = Reader(Write((ref MessagePackWireWriter w) => w.WriteDouble(d))).ReadDouble();
            Assert.Equal(BitConverter.DoubleToInt64Bits(d), BitConverter.DoubleToInt64Bits(back));
        }
        Assert.Equal("ca3fc00000", Hex(Write((ref MessagePackWireWriter w) => w.WriteSingle(1.5f))));
    }

    [Fact]
    public void Wrong_types_and_out_of_range_values_are_wire_format_errors()
    {
        Assert.Throws<WireFormatException>(() => Reader([0xa1, 0x78]).ReadInt64());
        Assert.Throws<WireFormatException>(() => Reader(Convert.FromHexString("cfffffffffffffffff")).ReadInt64());
        Assert.Throws<WireFormatException>(() => Reader([0xff]).ReadUInt64());
        Assert.Throws<WireFormatException>(() => Reader([0xa2, 0xc3, 0x28]).ReadString()); // invalid UTF-8
        Assert.Throws<WireFormatException>(() => Reader([0xcd, 0x01]).ReadInt64());       // truncated
    }

    [Fact]
    public void A_32_bit_count_over_what_the_bytes_hold_is_a_wire_format_error_not_a_negative_count()
    {
        Assert.Throws<WireFormatException>(() => Reader(Convert.FromHexString("ddffffffff00")).ReadStartArray());
        Assert.Throws<WireFormatException>(() => Reader(Convert.FromHexString("df8000000000")).ReadStartMap());
        Assert.Throws<WireFormatException>(() => Reader(Convert.FromHexString("dd0000000500")).ReadStartArray()); // 5 items, 1 byte
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
