using System.IO.Pipelines;
using SidecarKit.Tests.Support;

namespace SidecarKit.Transports.JsonLines.Tests;

/// <summary>
/// A large message leaves in one write to the stream under the connection (one system call on a socket or a pipe),
/// not one per 4 KiB segment of the pipe it passes through: what a bulk transfer's 64 KiB chunks cost per message.
/// </summary>
public class LargeMessageWriteTests
{
    [Fact]
    public async Task A_200_KB_request_reaches_the_stream_in_one_write()
    {
        var silent = new Pipe();   // nothing ever answers: only what the client writes matters
        var output = new CountingSink();
        await using var connection = JsonLines.CreateConnection(silent.Reader.AsStream(), output);
        string name = new('a', 200_000);

        Task<string> call = connection.GetClient<ISpec>().GreetAsync(name);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (output.Bytes < name.Length && DateTime.UtcNow < deadline) await Task.Delay(10);

        Assert.True(output.Bytes > name.Length, $"{output.Bytes} bytes written");
        Assert.Equal(1, output.Writes);
        Assert.False(call.IsCompleted);
    }

    /// <summary>A write-only stream that counts the writes it is given and their bytes.</summary>
    private sealed class CountingSink : Stream
    {
        private long _bytes;
        private int _writes;

        public long Bytes => Interlocked.Read(ref _bytes);
        public int Writes => Volatile.Read(ref _writes);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer.AsSpan(offset, count));
            return Task.CompletedTask;
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Interlocked.Increment(ref _writes);
            Interlocked.Add(ref _bytes, buffer.Length);
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public override void Flush() { }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
