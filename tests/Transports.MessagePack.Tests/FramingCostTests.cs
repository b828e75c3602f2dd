using System.Buffers;
using System.IO.Pipelines;
using SidecarKit.Rpc.Framing;

namespace SidecarKit.Transports.MessagePack.Tests;

/// <summary>
/// The framing of a connection (<see cref="MessagePackObjectFraming"/>) fed the way a connection's read loop feeds it:
/// through a <see cref="Pipe"/>, an incomplete object left unconsumed and handed back with more bytes after it. Its cost
/// is measured as work (the bytes it looked at, <see cref="MessagePackObjectFraming.BytesExamined"/>), not time.
/// </summary>
public class FramingCostTests
{
    private const int Chunk = 64 * 1024;

    [Fact]
    public async Task A_16_MiB_message_of_one_byte_elements_in_64_KiB_pieces_costs_work_linear_in_its_size()
    {
        // An array32 of one-byte elements (fixint 0) filling the whole limit: the worst case for a framer that walks
        // the buffered message from its start again on every piece (256 pieces, about 2 GiB looked at).
        int size = RpcFraming.DefaultMaxMessageSize;
        byte[] message = new byte[size];
        message[0] = 0xdd;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(1), (uint)(size - 5));

        var framing = new MessagePackObjectFraming();
        List<long> frames = await FeedAsync(framing, message, Chunk);

        Assert.Equal([size], frames);
        Assert.True(framing.BytesExamined <= 3L * size, $"the framing looked at {framing.BytesExamined} bytes for {size} received");
    }

    [Fact]
    public async Task Objects_cut_anywhere_are_framed_as_when_whole()
    {
        // Back to back: a request, a str8 and a bin16 whose bodies straddle pieces, nested maps, scalars of every width,
        // an extension; cut into pieces of every size from 1 to 17 bytes.
        byte[] sample = Convert.FromHexString(
            "94" + "00" + "01" + "a8" + "64656d6f2e616464" + "92" + "02" + "03"
            + "d9" + "14" + "6162636465666768696a6b6c6d6e6f7071727374"
            + "c5" + "0010" + "00112233445566778899aabbccddeeff"
            + "82" + "a161" + "81" + "a162" + "93" + "cc01" + "cd0102" + "ce01020304"
            + "a163" + "94" + "cf0102030405060708" + "cb400921fb54442d18" + "c0" + "c3"
            + "d6ff" + "00000001");
        long[] whole = [15, 22, 19, 40, 6];
        Assert.Equal(sample.Length, whole.Sum());
        for (int piece = 1; piece <= 17; piece++)
        {
            var framing = new MessagePackObjectFraming();
            Assert.Equal(whole, await FeedAsync(framing, sample, piece));
        }
    }

    [Theory]
    [InlineData("ddffffffff", "an array32 of 4 Gi elements")]
    [InlineData("dfffffffff", "a map32 of 4 Gi entries")]
    [InlineData("dd00800000", "an array32 of 8 Mi elements (the limit here is 4 MiB)")]
    [InlineData("9201dd003ffffe", "an inner array32 that does not fit after the outer header")]
    [InlineData("db00400000", "a str32 of 4 MiB")]
    [InlineData("c600400000", "a bin32 of 4 MiB")]
    public async Task A_header_announcing_more_than_the_limit_can_hold_is_refused_at_the_header(string hex, string what)
    {
        // Each element takes at least one byte, so the header alone proves the message is too large.
        var framing = new MessagePackObjectFraming(maxMessageSize: 4 * 1024 * 1024);
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(Convert.FromHexString(hex));
        ReadResult result = await pipe.Reader.ReadAsync();
        ReadOnlySequence<byte> buffer = result.Buffer;
        Assert.True(RpcFrameStatus.Invalid == framing.TryReadFrame(ref buffer, false, out _, out string? error), what);
        Assert.Contains("larger than", error);
    }

    [Fact]
    public async Task An_array_that_just_fits_the_limit_is_waited_for()
    {
        // 5 header bytes and 4 Mi - 5 one-byte elements: exactly the limit, so the header is not refused.
        var framing = new MessagePackObjectFraming(maxMessageSize: 4 * 1024 * 1024);
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(Convert.FromHexString("dd003ffffb"));
        ReadResult result = await pipe.Reader.ReadAsync();
        ReadOnlySequence<byte> buffer = result.Buffer;
        Assert.Equal(RpcFrameStatus.Incomplete, framing.TryReadFrame(ref buffer, false, out _, out _));
    }

    // Writes the bytes into a pipe in pieces and frames them the way RpcConnection's read loop does: what is not a
    // complete frame stays unconsumed and comes back, with the next piece after it. Returns the frames' lengths.
    private static async Task<List<long>> FeedAsync(RpcFraming framing, byte[] bytes, int piece)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        var frames = new List<long>();
        for (int offset = 0; offset < bytes.Length; offset += piece)
        {
            await pipe.Writer.WriteAsync(bytes.AsMemory(offset, Math.Min(piece, bytes.Length - offset)));
            ReadResult result = await pipe.Reader.ReadAsync();
            ReadOnlySequence<byte> buffer = result.Buffer;
            RpcFrameStatus status;
            string? error;
            while ((status = framing.TryReadFrame(ref buffer, false, out ReadOnlySequence<byte> frame, out error)) == RpcFrameStatus.Complete)
                frames.Add(frame.Length);
            Assert.True(status == RpcFrameStatus.Incomplete, error);
            pipe.Reader.AdvanceTo(buffer.Start, buffer.End);
        }
        return frames;
    }
}
