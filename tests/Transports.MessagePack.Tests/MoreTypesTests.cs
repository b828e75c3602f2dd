using System.Buffers;
using SidecarKit.Rpc;
using SidecarKit.Tests.Support;
using SidecarKit.Wire;

namespace SidecarKit.Transports.MessagePack.Tests;

/// <summary>The types of issue 16 over MessagePack-RPC, and their MessagePack encodings (docs/protocol.md section 6).</summary>
public class MoreTypesTests
{
    private delegate void WriteAction(ref MessagePackWireWriter writer);

    private static string Hex(WriteAction write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWireWriter(buffer);
        write(ref writer);
        writer.Flush();
        return Convert.ToHexString(buffer.WrittenSpan).ToLowerInvariant();
    }

    private static string Str(string s) => Convert.ToHexString([(byte)(0xa0 | s.Length), .. System.Text.Encoding.UTF8.GetBytes(s)]).ToLowerInvariant();

    [Fact]
    public async Task Every_new_type_round_trips_through_the_proxy()
    {
        await using ConnectionPair pair = ConnectionPair.Create(new RpcHandlerTable().AddContract<IMoreTypes>(new EchoMoreTypes()), protocol: () => new MessagePackRpcProtocol());
        await MoreTypesSamples.RoundTripAllAsync(pair.Client.GetClient<IMoreTypes>());
    }

    [Fact]
    public void Dates_times_and_128_bit_integers_are_strings_a_half_is_a_float32_memory_is_bin()
    {
        Assert.Equal(Str("2024-02-29"), Hex((ref MessagePackWireWriter w) => WireCodecs.DateOnly.Write(ref w, new DateOnly(2024, 2, 29))));
        Assert.Equal(Str("13:45:30.5"), Hex((ref MessagePackWireWriter w) => WireCodecs.TimeOnly.Write(ref w, new TimeOnly(13, 45, 30, 500))));
        Assert.Equal(Str("-1"), Hex((ref MessagePackWireWriter w) => WireCodecs.Int128.Write(ref w, Int128.NegativeOne)));
        Assert.Equal(Str("18446744073709551616"), Hex((ref MessagePackWireWriter w) => WireCodecs.UInt128.Write(ref w, (UInt128)ulong.MaxValue + 1)));
        Assert.Equal("ca3dcccccd", Hex((ref MessagePackWireWriter w) => WireCodecs.Half.Write(ref w, (Half)0.1)));   // float32 0.1f
        Assert.Equal("c40201ff", Hex((ref MessagePackWireWriter w) => WireCodecs.ReadOnlyByteMemory.Write(ref w, new byte[] { 1, 255 })));
        Assert.Equal(Str("1.2.3"), Hex((ref MessagePackWireWriter w) => WireCodecs.Version.Write(ref w, new Version(1, 2, 3))));
        Assert.Equal(Str("urn:x"), Hex((ref MessagePackWireWriter w) => WireCodecs.Uri.Write(ref w, new Uri("urn:x"))));
    }

    [Fact]
    public void A_128_bit_integer_is_read_from_an_integer_too_and_a_half_out_of_range_is_refused()
    {
        var reader = new MessagePackWireReader(new ReadOnlyMemory<byte>([0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0]));   // int64 min
        Assert.Equal((Int128)long.MinValue, WireCodecs.Int128.Read(ref reader));
        var big = new MessagePackWireReader(new ReadOnlyMemory<byte>([0xca, 0x47, 0x80, 0, 0]));   // float32 65536
        try { WireCodecs.Half.Read(ref big); Assert.Fail("65536 read as a Half"); }
        catch (WireFormatException e) { Assert.Contains("out of range for Half", e.Message); }
    }
}
