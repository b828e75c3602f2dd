using SidecarKit.Rpc;

namespace SidecarKit.Runtime.Tests;

public class StreamingTests
{
    [Fact]
    public async Task A_stream_delivers_every_item_in_order()
    {
        await using Engine engine = Engine.Start();
        var items = new List<int>();
        await foreach (int i in engine.Client.RangeAsync(1000)) items.Add(i);
        Assert.Equal(Enumerable.Range(0, 1000), items);
    }

    [Fact]
    public async Task A_streams_chunks_are_one_buffer_refilled_and_the_last_is_its_own()
    {
        byte[] data = new byte[2 * ByteStreams.ChunkSize + 100];
        new Random(3).NextBytes(data);
        var seen = new List<(byte[] Chunk, byte[] Copy)>();
        await foreach (byte[] chunk in ByteStreams.ReadChunks(new MemoryStream(data)))
            seen.Add((chunk, chunk.ToArray()));   // what each chunk holds when it is handed over

        Assert.Equal(3, seen.Count);
        Assert.Same(seen[0].Chunk, seen[1].Chunk);      // one buffer for the full chunks: no allocation per 64 KiB
        Assert.Equal(100, seen[2].Chunk.Length);        // the short last chunk is exact
        Assert.Equal(data, seen.SelectMany(s => s.Copy));
        Assert.Empty(await ByteStreams.ReadChunks(new MemoryStream()).ToListAsync());
    }

    [Fact]
    public async Task A_received_streams_chunks_go_back_to_the_pool_they_were_lent_from_and_no_others()
    {
        byte[] lent = ByteStreams.NewBytes(ByteStreams.ChunkSize);   // as a codec decodes a full chunk
        byte[] own = new byte[ByteStreams.ChunkSize];                // a chunk of the application's own
        lent.AsSpan().Fill(1);
        own.AsSpan().Fill(2);
        Assert.True(ByteStreams.IsLent(lent));
        Assert.False(ByteStreams.IsLent(ByteStreams.NewBytes(10)));  // other sizes are plain arrays

        await using (Stream stream = ByteStreams.ToStream(Chunks(lent, own, lent)))
        {
            byte[] buffer = new byte[ByteStreams.ChunkSize];
            await stream.ReadExactlyAsync(buffer);
            Assert.All(buffer, b => Assert.Equal(1, b));
            Assert.True(ByteStreams.IsLent(lent));                   // read, but the stream has not moved on yet
            await stream.ReadExactlyAsync(buffer);
            Assert.False(ByteStreams.IsLent(lent));                  // given back once the stream took the next
            Assert.All(buffer, b => Assert.Equal(2, b));
            await stream.ReadExactlyAsync(buffer);                   // the same array again: given back once only
            Assert.Equal(0, await stream.ReadAsync(buffer));
        }
        Assert.All(own, b => Assert.Equal(2, b));

        static async IAsyncEnumerable<byte[]> Chunks(params byte[][] chunks)
        {
            foreach (byte[] chunk in chunks)
            {
                await Task.Yield();
                yield return chunk;
            }
        }
    }

    [Fact]
    public async Task An_empty_stream_completes()
    {
        await using Engine engine = Engine.Start();
        await foreach (int _ in engine.Client.RangeAsync(0)) Assert.Fail("no items expected");
    }

    [Fact]
    public async Task A_slow_reader_bounds_what_the_producer_makes_to_the_window()
    {
        var options = new RpcConnectionOptions { StreamWindow = 8 };
        await using Engine engine = Engine.Start(options, options);
        await using IAsyncEnumerator<int> e = engine.Client.RangeAsync(1_000_000).GetAsyncEnumerator();
        Assert.True(await e.MoveNextAsync());
        await Task.Delay(500); // the producer would make many thousands of items in this time without flow control
        Assert.InRange(engine.Service.ItemsProduced, 1, 8 + 1);
        // Reading on grants credit and the stream resumes.
        for (int i = 0; i < 100; i++) Assert.True(await e.MoveNextAsync());
        Assert.Equal(100, e.Current);
    }

    [Fact]
    public async Task Breaking_out_of_a_stream_cancels_the_producer()
    {
        await using Engine engine = Engine.Start();
        await foreach (int i in engine.Client.RangeAsync(1_000_000))
            if (i == 10) break;
        await Engine.Eventually(() => engine.Service.StreamsCancelled == 1, "the producer to be cancelled");
        await Engine.Eventually(() => engine.Pair.Server.ActiveRequestCount == 0, "the server to finish the stream");
        Assert.Equal(0, engine.Pair.Client.PendingCallCount);
    }

    [Fact]
    public async Task Cancelling_the_token_ends_the_stream_on_both_sides()
    {
        await using Engine engine = Engine.Start();
        using var cts = new CancellationTokenSource();
        int read = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (int _ in engine.Client.RangeAsync(1_000_000, cts.Token))
                if (++read == 5) cts.Cancel();
        });
        await Engine.Eventually(() => engine.Service.StreamsCancelled == 1, "the producer to be cancelled");
    }

    [Fact]
    public async Task A_stream_can_be_enumerated_once()
    {
        await using Engine engine = Engine.Start();
        IAsyncEnumerable<int> stream = engine.Client.RangeAsync(3);
        await foreach (int _ in stream) { }
        await Assert.ThrowsAsync<InvalidOperationException>(async () => { await foreach (int _ in stream) { } });
    }

    [Fact]
    public async Task An_absurd_credit_grant_means_never_blocked_rather_than_a_stall()
    {
        var accessor = new SidecarKit.Tests.Support.RpcChannelAccessor();
        await using var raw = new SidecarKit.Tests.Support.RawJsonServer(
            new RpcHandlerTable().AddContract<SidecarKit.Tests.Support.IEngine>(new SidecarKit.Tests.Support.EngineService(accessor)));
        await raw.SendLineAsync("""{"jsonrpc":"2.0","id":1,"method":"engine.range","params":{"count":300}}""");
        await raw.SendLineAsync("""{"jsonrpc":"2.0","method":"$/stream.credit","params":{"id":1,"credit":2147483647}}""");
        await raw.SendLineAsync("""{"jsonrpc":"2.0","method":"$/stream.credit","params":{"id":1,"credit":2147483647}}""");
        int items = 0;
        while (true)
        {
            var message = SidecarKit.Tests.Support.RawJsonServer.Parse(await raw.ReadLineAsync());
            if (message.TryGetProperty("result", out var result)) { Assert.Equal(300, result.GetInt32()); break; }
            Assert.Equal(items++, message.GetProperty("params").GetProperty("item").GetInt32());
        }
        Assert.Equal(300, items);
    }
}
