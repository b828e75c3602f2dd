using Xunit;
using System.Buffers;
using System.IO.Pipelines;
using SidecarKit.Rpc;

namespace SidecarKit.Tests.Support;

/// <summary>What feeding one input to a protocol did.</summary>
public sealed record FeedResult(int Messages, InvalidDataException? Closed, long MaxBuffered, long Allocated, int Reads);

/// <summary>
/// Feeds bytes to a protocol the way <see cref="RpcConnection"/>'s read loop does, through a real <see cref="Pipe"/>:
/// the bytes are written in the given pieces, each read is handed to <see cref="RpcProtocol.TryReadMessage"/> until it
/// needs more, what it did not consume stays in the pipe for the next read, and the end of the input is a completed
/// read. Synchronous on the calling thread, so what it allocates can be measured.
/// </summary>
public static class ProtocolFeed
{
    /// <summary>
    /// Runs the input through <paramref name="protocol"/>. <see cref="InvalidDataException"/> (the framing lost its way:
    /// the connection closes) ends the feed and is returned; any other exception escapes. Asserts that the protocol
    /// makes progress: a bounded number of messages per read, and nothing left unread at the end of the input unless
    /// the connection was closed.
    /// </summary>
    public static FeedResult Run(RpcProtocol protocol, byte[] bytes, int[] pieces, Action<RpcMessage>? onMessage = null)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0, resumeWriterThreshold: 0, useSynchronizationContext: false));
        int offset = 0, messages = 0, reads = 0;
        long maxBuffered = 0;
        InvalidDataException? closed = null;
        for (int i = 0; i <= pieces.Length && closed is null; i++)
        {
            if (i < pieces.Length)
            {
                pipe.Writer.Write(bytes.AsSpan(offset, pieces[i]));
                offset += pieces[i];
                ValueTask<FlushResult> flush = pipe.Writer.FlushAsync();
                Assert.True(flush.IsCompletedSuccessfully, "the pipe's flush did not complete at once");
            }
            else
            {
                pipe.Writer.Complete();
            }
            Assert.True(pipe.Reader.TryRead(out ReadResult result), "nothing to read after a write");
            reads++;
            ReadOnlySequence<byte> buffer = result.Buffer;
            try
            {
                // Every message consumes at least one byte: more than that many is a framer that does not advance.
                int guard = (int)buffer.Length + 1;
                while (protocol.TryReadMessage(ref buffer, result.IsCompleted, out RpcMessage message))
                {
                    messages++;
                    try { onMessage?.Invoke(message); }
                    finally { protocol.Release(in message); }
                    Assert.True(--guard >= 0, $"{messages} messages from {result.Buffer.Length} bytes: the framer does not advance");
                }
            }
            catch (InvalidDataException e)
            {
                closed = e;
            }
            pipe.Reader.AdvanceTo(buffer.Start, buffer.End);
            maxBuffered = Math.Max(maxBuffered, buffer.Length);
            if (result.IsCompleted && closed is null)
                Assert.True(buffer.IsEmpty, $"the input ended with {buffer.Length} bytes neither taken nor refused");
        }
        if (closed is null) Assert.Equal(bytes.Length, offset);
        pipe.Reader.Complete();
        return new FeedResult(messages, closed, maxBuffered, GC.GetAllocatedBytesForCurrentThread() - before, reads);
    }
}
