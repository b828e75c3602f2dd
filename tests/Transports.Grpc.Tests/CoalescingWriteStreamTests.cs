using System.Net.Sockets;
using Grpc.Net.Client;
using SidecarKit.Samples.Demo;

namespace SidecarKit.Transports.Grpc.Tests;

/// <summary>
/// The request body of a streamed input: items written one after another while the HTTP/2 stream is busy share its
/// next write, an item written alone goes at once, the writer is held back past the limit, and a failure of the HTTP/2
/// stream reaches the writer. The unit tests stand a gated stream in for the HTTP/2 request stream (its writes finish
/// when the test says); the wire tests count the socket writes of a client stream to the real demo sidecar.
/// </summary>
public class CoalescingWriteStreamTests(GrpcSidecarFixture fixture) : IClassFixture<GrpcSidecarFixture>
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(20);

    // Writes one item and flushes it, then waits until the stand-in HTTP/2 stream holds it (its write started, not done).
    private static async Task WriteAndFlushUntilOnItsWayAsync(CoalescingWriteStream stream, GatedStream inner, byte[] item)
    {
        await stream.WriteAsync(item);
        await stream.FlushAsync();
        await inner.WriteStarted.WaitAsync(s_wait);
    }

    [Fact]
    public async Task Writes_made_while_a_write_is_on_its_way_go_out_together_and_in_order()
    {
        var inner = new GatedStream();
        var stream = new CoalescingWriteStream(inner);

        await WriteAndFlushUntilOnItsWayAsync(stream, inner, [1]);   // the first item is on its way at once, no timer
        for (byte i = 2; i <= 100; i++)
        {
            await stream.WriteAsync(new[] { i });          // each completes while the first is still held
            await stream.FlushAsync();
        }
        Assert.Single(inner.Writes);
        inner.Release();
        await stream.DrainAsync().WaitAsync(s_wait);

        Assert.Equal(2, inner.Writes.Count);               // the 99 that waited went as one
        Assert.Equal(Enumerable.Range(1, 100).Select(i => (byte)i), inner.Writes.SelectMany(w => w));
        Assert.True(inner.Flushes >= 2);
    }

    [Fact]
    public async Task A_flush_with_nothing_written_reaches_the_stream()
    {
        // grpc-dotnet flushes the request stream before the first message, so that the headers go at once.
        var inner = new GatedStream();
        inner.Release();
        var stream = new CoalescingWriteStream(inner);

        await stream.FlushAsync();
        await stream.DrainAsync().WaitAsync(s_wait);

        Assert.Empty(inner.Writes);
        Assert.Equal(1, inner.Flushes);
    }

    [Fact]
    public async Task Past_the_limit_a_write_waits_for_the_stream()
    {
        var inner = new GatedStream();
        var stream = new CoalescingWriteStream(inner);
        await WriteAndFlushUntilOnItsWayAsync(stream, inner, new byte[10]);

        Task full = stream.WriteAsync(new byte[CoalescingWriteStream.Limit]).AsTask();
        await Task.Delay(100);
        Assert.False(full.IsCompleted);                   // held back: the stream has not taken the first write yet

        inner.Release();
        await full.WaitAsync(s_wait);
        await stream.DrainAsync().WaitAsync(s_wait);
        Assert.Equal(10 + CoalescingWriteStream.Limit, inner.Writes.Sum(w => w.Length));
    }

    [Fact]
    public async Task A_failed_stream_fails_the_next_write_and_the_drain()
    {
        var inner = new GatedStream { Failure = new IOException("reset by peer") };
        inner.Release();
        var stream = new CoalescingWriteStream(inner);

        await stream.WriteAsync(new byte[] { 1 });
        await stream.FlushAsync();
        // The stream's own exception, as a faulted task (grpc-dotnet maps a cancellation or a disposal by its type).
        Assert.Same(inner.Failure, await Assert.ThrowsAsync<IOException>(() => stream.DrainAsync().WaitAsync(s_wait)));
        ValueTask write = stream.WriteAsync(new byte[] { 2 });
        Assert.True(write.IsFaulted);
        Assert.Same(inner.Failure, await Assert.ThrowsAsync<IOException>(() => write.AsTask()));
        Assert.True(stream.FlushAsync().IsFaulted);
    }

    [Fact]
    public async Task A_large_item_is_taken_by_the_drain_while_the_one_before_is_still_being_sent()
    {
        var inner = new GatedStream();
        var stream = new CoalescingWriteStream(inner);
        await stream.WriteAsync(new byte[CoalescingWriteStream.Limit]).AsTask().WaitAsync(s_wait);   // taken at once
        await inner.WriteStarted.WaitAsync(s_wait);

        // The first is held on its way: the second waits for the drain to take it, which is after the first is sent.
        Task second = stream.WriteAsync(new byte[CoalescingWriteStream.Limit]).AsTask();
        await Task.Delay(100);
        Assert.False(second.IsCompleted);
        inner.Release();
        await second.WaitAsync(s_wait);
        await stream.DrainAsync().WaitAsync(s_wait);
        Assert.Equal(2, inner.Writes.Count);
    }

    [Fact]
    public async Task An_abandoned_body_refuses_writes_and_waits_for_the_drain()
    {
        var inner = new GatedStream();
        var stream = new CoalescingWriteStream(inner);
        await WriteAndFlushUntilOnItsWayAsync(stream, inner, [1]);

        Task abandon = stream.AbandonAsync();
        await Task.Delay(100);
        Assert.False(abandon.IsCompleted);                  // the drain still holds the HTTP/2 stream
        await Assert.ThrowsAsync<ObjectDisposedException>(() => stream.WriteAsync(new byte[] { 2 }).AsTask());
        inner.Release();
        await abandon.WaitAsync(s_wait);
        Assert.Single(inner.Writes);
    }

    [Fact]
    public async Task A_client_stream_of_many_items_takes_far_fewer_socket_writes_than_items()
    {
        const int items = 5_000;
        // Each socket write takes a millisecond or more, as on a busy connection: how many items share a write then
        // depends on the coalescing, not on how the two cores happen to schedule the writer and the drain (unslowed,
        // a loaded machine was seen to give 1,040 writes as well as 6).
        var coalesced = new SocketWrites { Delay = TimeSpan.FromMilliseconds(1) };
        Assert.Equal(items * 3L, await SumAsync(new CoalescingRequestHandler(coalesced.Handler(fixture.Address)), items));
        var plain = new SocketWrites();
        Assert.Equal(items * 3L, await SumAsync(plain.Handler(fixture.Address), items));

        // Without coalescing, grpc-dotnet flushes every item: at least one socket write each (and with the delay the
        // coalesced count would be the same, 5 s or more). With it, items written while a write is on its way share the next.
        Assert.True(plain.Count >= items, $"plain: {plain.Count} socket writes for {items} items");
        Assert.True(coalesced.Count < items / 10, $"coalesced: {coalesced.Count} socket writes for {items} items (plain: {plain.Count})");
    }

    [Fact]
    public async Task An_item_written_alone_is_answered_before_the_next_is_written()
    {
        using GrpcChannel grpc = GrpcChannel.ForAddress("http://" + fixture.Address, new GrpcChannelOptions
        {
            HttpHandler = SidecarHttpHandler.CreateForCalls(fixture.Address),
        });
        IDemo demo = grpc.GetSidecarClient<IDemo>(new GrpcClientOptions { Token = GrpcSidecarFixture.Token });
        var lines = System.Threading.Channels.Channel.CreateUnbounded<string>();
        await using IAsyncEnumerator<string> replies = demo.ChatAsync("> ", lines.Reader.ReadAllAsync()).GetAsyncEnumerator();
        for (int i = 0; i < 50; i++)
        {
            lines.Writer.TryWrite("line " + i);
            Assert.True(await replies.MoveNextAsync().AsTask().WaitAsync(s_wait));
            Assert.Equal("> line " + i, replies.Current);
        }
        lines.Writer.Complete();
        Assert.False(await replies.MoveNextAsync());
    }

    private async Task<long> SumAsync(HttpMessageHandler handler, int items)
    {
        using GrpcChannel grpc = GrpcChannel.ForAddress("http://" + fixture.Address, new GrpcChannelOptions { HttpHandler = handler });
        IDemo demo = grpc.GetSidecarClient<IDemo>(new GrpcClientOptions { Token = GrpcSidecarFixture.Token });
        return await demo.SumAsync(Threes(items));
    }

    private static async IAsyncEnumerable<int> Threes(int count)
    {
        await Task.Yield();
        for (int i = 0; i < count; i++) yield return 3;
    }

    /// <summary>A TCP connection to the sidecar whose writes are counted.</summary>
    private sealed class SocketWrites
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        /// <summary>How long each write takes at least.</summary>
        public TimeSpan Delay { get; init; }

        public SocketsHttpHandler Handler(string address)
        {
            int colon = address.LastIndexOf(':');
            string host = address[..colon];
            int port = int.Parse(address[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            SocketsHttpHandler handler = SidecarHttpHandler.Create(address);
            handler.ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(host, port, ct);
                return new CountingStream(new NetworkStream(socket, ownsSocket: true), this);
            };
            return handler;
        }

        private sealed class CountingStream(Stream inner, SocketWrites counts) : Stream
        {
            public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
            {
                Interlocked.Increment(ref counts._count);
                if (counts.Delay > TimeSpan.Zero) await Task.Delay(counts.Delay, cancellationToken);
                await inner.WriteAsync(buffer, cancellationToken);
            }

            public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
                => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

            public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
            public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);
            public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
            public override bool CanRead => true;
            public override bool CanSeek => false;
            public override bool CanWrite => true;
            public override long Length => throw new NotSupportedException();
            public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
            public override void Flush() => inner.Flush();
            public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
            public override void SetLength(long value) => throw new NotSupportedException();
            public override void Write(byte[] buffer, int offset, int count)
            {
                Interlocked.Increment(ref counts._count);
                inner.Write(buffer, offset, count);
            }

            protected override void Dispose(bool disposing)
            {
                if (disposing) inner.Dispose();
                base.Dispose(disposing);
            }

            public override ValueTask DisposeAsync() => inner.DisposeAsync();
        }
    }

    /// <summary>Stands in for the HTTP/2 request stream: records writes and flushes; writes finish once released.</summary>
    private sealed class GatedStream : Stream
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _writeStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<byte[]> _writes = [];
        private int _flushes;

        public Exception? Failure { get; init; }
        public Task WriteStarted => _writeStarted.Task;
        public int Flushes => Volatile.Read(ref _flushes);

        public List<byte[]> Writes
        {
            get { lock (_writes) return [.. _writes]; }
        }

        public void Release() => _released.TrySetResult();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            lock (_writes) _writes.Add(buffer.ToArray());
            _writeStarted.TrySetResult();
            await _released.Task;
            if (Failure is not null) throw Failure;
        }

        public override async Task FlushAsync(CancellationToken cancellationToken)
        {
            await _released.Task;
            Interlocked.Increment(ref _flushes);
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => throw new NotSupportedException();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
