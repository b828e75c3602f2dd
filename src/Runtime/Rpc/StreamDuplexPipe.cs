using System.IO.Pipelines;

namespace SidecarKit.Rpc;

/// <summary>A duplex pipe over two streams (a process's stdio, a socket's stream, …).</summary>
public sealed class StreamDuplexPipe : IDuplexPipe
{
    private StreamDuplexPipe(PipeReader input, PipeWriter output)
    {
        Input = input;
        Output = output;
    }

    /// <inheritdoc />
    public PipeReader Input { get; }

    /// <inheritdoc />
    public PipeWriter Output { get; }

    // The reader's segments: a message that lies in one is parsed in place, one that straddles two is copied out first
    // (ContiguousFrame). At 256 KiB, three of four 64 KiB stream chunks (ByteStreams) lie in one; at 64 KiB none did.
    // MessagePack bulk over a Unix socket, 64 KiB against 256 KiB, --bulk-loop rounds alternating: upload (unhashed)
    // 1,658-1,952 against 1,862-2,476 MiB/s, download 1,635-1,859 against 1,621-1,969 (and 1 MiB no better than 256 KiB);
    // demo.add unchanged. The cost: a connection holds one such buffer while it waits to read (the host's 64 connections and
    // 8 pending ones, 18 MiB at most, against 4.5 MiB at 64 KiB), and these are large-object-heap arrays: they come from
    // the shared array pool, and one the pool cannot supply (a message of many segments at once, a trimmed pool) is an
    // allocation that only a full collection gives back.
    private const int ReadBufferSize = 256 * 1024;

    /// <summary>Wraps <paramref name="input"/> for reading and <paramref name="output"/> for writing.</summary>
    /// <param name="input">The stream to read from.</param>
    /// <param name="output">The stream to write to.</param>
    /// <param name="leaveOpen">Whether disposing the pipe leaves the streams open.</param>
    /// <param name="blockingIo">
    /// Read and write with blocking calls on the calling thread. Right for stdio pipes: the console's and anonymous
    /// pipes' "async" methods only hand a blocking call to another thread, which costs a thread hop per message; the
    /// connection's read loop has a thread of its own for this.
    /// </param>
    public static StreamDuplexPipe Create(Stream input, Stream output, bool leaveOpen = false, bool blockingIo = false)
    {
        if (blockingIo)
        {
            input = new BlockingStream(input);
            output = new BlockingStream(output);
        }
        return new(PipeReader.Create(input, new StreamPipeReaderOptions(bufferSize: ReadBufferSize, minimumReadSize: 4096, leaveOpen: leaveOpen)),
                   PipeWriter.Create(output, new StreamPipeWriterOptions(leaveOpen: leaveOpen)));
    }

    /// <summary>Turns a stream's asynchronous reads and writes into blocking ones on the calling thread.</summary>
    private sealed class BlockingStream(Stream inner) : Stream
    {
        public override bool CanRead => inner.CanRead;
        public override bool CanWrite => inner.CanWrite;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) { inner.Flush(); return Task.CompletedTask; }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => inner.Read(buffer);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return ValueTask.FromResult(inner.Read(buffer.Span));
        }

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
        public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            inner.Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
