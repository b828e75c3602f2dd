using System.Buffers;
using System.IO.Pipelines;
using Microsoft.Extensions.Logging.Abstractions;
using SidecarKit.Rpc;
using SidecarKit.Transports.JsonLines;

namespace SidecarKit.Runtime.Tests;

/// <summary>
/// The connection's writer encodes a message straight into the pipe's memory and commits it only once whole: messages
/// that fit cost no copy, large ones move to fresh pipe memory in one piece, and a codec that throws halfway leaves
/// nothing in the output.
/// </summary>
public class MessageBufferTests
{
    private const int MaxPiece = MessageBuffer.MaxPiece;

    // The bytes of one message, written the way codecs write: a span at a time, each asked for with its size.
    private readonly struct Bytes(byte[] content, int chunk, int throwAfter = -1) : IOutgoingMessage
    {
        public void Write(RpcProtocol protocol, IBufferWriter<byte> output)
        {
            for (int at = 0; at < content.Length; at += chunk)
            {
                if (throwAfter >= 0 && at >= throwAfter) throw new InvalidCastException("the codec failed halfway");
                int n = Math.Min(chunk, content.Length - at);
                content.AsSpan(at, n).CopyTo(output.GetSpan(n));
                output.Advance(n);
            }
        }
    }

    private static byte[] Content(int length, byte seed)
    {
        var bytes = new byte[length];
        for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)(seed + i * 7);
        return bytes;
    }

    // The writer over a stream (PipeWriter.Create, as the carriers have it) or over a Pipe's writer, and what reached
    // the other end once the writer is done.
    private static (ConnectionWriter Writer, Func<Task<byte[]>> Received) NewWriter(bool onPipe = false)
    {
        if (!onPipe)
        {
            var sink = new MemoryStream();
            return (New(PipeWriter.Create(sink)), () => Task.FromResult(sink.ToArray()));
        }
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0, resumeWriterThreshold: 0, useSynchronizationContext: false));
        ConnectionWriter writer = New(pipe.Writer);
        return (writer, async () =>
        {
            await writer.CompleteAsync();
            var all = new MemoryStream();
            await pipe.Reader.CopyToAsync(all);
            return all.ToArray();
        });

        static ConnectionWriter New(PipeWriter output) => new(output, new JsonRpcProtocol(), () => false,
            () => new InvalidOperationException("closed"), NullLogger.Instance);
    }

    [Theory]
    [InlineData(100, 100, false)]        // small, in one span
    [InlineData(3000, 64, false)]        // small, in pieces
    [InlineData(200_000, 1000, false)]   // grows large in small pieces: moves to fresh pipe memory once it passes the small size
    [InlineData(200_000, 1, false)]      // a byte at a time: the room doubles, so it moves a bounded number of times
    [InlineData(200_000, 65536, false)]  // asks for large spans
    [InlineData(900_000, 65536, false)]  // near the largest piece
    [InlineData(100, 100, true)]         // the same on a Pipe's writer, which returns memory it handed out to its pool
    [InlineData(200_000, 1000, true)]
    [InlineData(900_000, 65536, true)]
    public async Task Messages_are_encoded_in_place_and_arrive_whole_in_order(int length, int chunk, bool onPipe)
    {
        (ConnectionWriter writer, Func<Task<byte[]>> received) = NewWriter(onPipe);
        byte[] first = Content(length, 1), second = Content(length, 2), third = Content(17, 3);

        await writer.SendAsync(new Bytes(first, chunk));
        await writer.SendAsync(new Bytes(second, chunk));
        await writer.SendAsync(new Bytes(third, chunk));

        Assert.Equal(3, writer.EncodedInPlace);
        byte[] got = await received();
        Assert.Equal([.. first, .. second, .. third], got);
    }

    [Fact]
    public async Task A_message_past_the_largest_piece_is_copied_in_and_arrives_whole()
    {
        (ConnectionWriter writer, Func<Task<byte[]>> received) = NewWriter();
        byte[] huge = Content(MaxPiece + 10_000, 5), after = Content(50, 6);

        await writer.SendAsync(new Bytes(huge, 65536));
        await writer.SendAsync(new Bytes(after, 50));

        byte[] got = await received();
        Assert.Equal([.. huge, .. after], got);
        Assert.Equal(1, writer.EncodedInPlace); // the small one after it
    }

    [Theory]
    [InlineData(3000, 100, 1500, false)]
    [InlineData(200_000, 1000, 150_000, false)]
    [InlineData(200_000, 65536, 65536, false)]
    [InlineData(MaxPiece + 10_000, 65536, MaxPiece, false)]   // after it moved to the scratch buffer
    [InlineData(200_000, 1000, 150_000, true)]
    public async Task A_codec_that_throws_halfway_leaves_nothing_and_the_next_message_goes_whole(int length, int chunk, int throwAfter, bool onPipe)
    {
        (ConnectionWriter writer, Func<Task<byte[]>> received) = NewWriter(onPipe);
        byte[] before = Content(40, 1), failing = Content(length, 2), after = Content(length, 3);

        await writer.SendAsync(new Bytes(before, 40));
        await Assert.ThrowsAsync<InvalidCastException>(async () => await writer.SendAsync(new Bytes(failing, chunk, throwAfter)));
        Assert.False(writer.IsClosed);
        await writer.SendAsync(new Bytes(after, chunk));

        byte[] got = await received();
        Assert.Equal([.. before, .. after], got);
    }

    [Fact]
    public async Task Small_messages_that_do_not_fit_the_room_left_are_packed_across_segments()
    {
        // Unflushed, as in a burst, in the pipe's 4 KiB segments: 1,000-byte messages leave 96 bytes at the end of a
        // segment, so every fifth straddles two (copied in from the scratch buffer) and none starts a segment of its own.
        var sink = new MemoryStream();
        PipeWriter pipe = PipeWriter.Create(sink, new StreamPipeWriterOptions(minimumBufferSize: 4096));
        var buffer = new MessageBuffer(pipe);
        var all = new List<byte>();
        int inPlace = 0;
        for (int i = 0; i < 20; i++)
        {
            byte[] message = Content(1000, (byte)i);
            all.AddRange(message);
            buffer.Start();
            message.CopyTo(buffer.GetSpan(message.Length));
            buffer.Advance(message.Length);
            if (buffer.Commit()) inPlace++;
        }
        Assert.Equal(20_000, pipe.UnflushedBytes);
        await pipe.FlushAsync();

        Assert.Equal(all.ToArray(), sink.ToArray());
        Assert.Equal(16, inPlace);
    }
}
