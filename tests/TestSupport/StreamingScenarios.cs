using SidecarKit.Rpc;
using Xunit;
namespace SidecarKit.Tests.Support;

/// <summary>
/// Client and bidirectional streaming through the generated proxy and dispatcher, the same scenarios on every
/// transport: each test project derives once and says how to connect a client to a <see cref="Streaming"/> service.
/// </summary>
public abstract class StreamingScenarios
{
    /// <summary>A client of <paramref name="service"/> over the transport under test, and what to dispose.</summary>
    protected abstract Task<(IStreaming Client, IAsyncDisposable Connection)> ConnectAsync(Streaming service);

    /// <summary>Whether the transport carries the caller's error to the callee as itself (JSON-RPC, MessagePack-RPC), or as a cancellation (gRPC).</summary>
    protected virtual bool InputErrorsArriveTyped => true;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_client_stream_is_summed_and_an_empty_one_is_zero()
    {
        var service = new Streaming();
        var (client, connection) = await ConnectAsync(service);
        await using (connection)
        {
            Assert.Equal(5050, await client.SumAsync(AsyncItems.Of(Enumerable.Range(1, 100).ToArray())));
            Assert.Equal(0, await client.SumAsync(AsyncItems.Of<int>()));
            // Far more items than one window of credit: the callee grants more as it reads.
            var items = new ProducedItems();
            Assert.Equal(10_000L * 10_001 / 2, await client.SumAsync(items.Range(10_000)));
            Assert.Equal(10_000, items.Produced);
        }
    }

    [Fact]
    public async Task Parameters_around_the_stream_keep_their_values_and_defaults()
    {
        var service = new Streaming();
        var (client, connection) = await ConnectAsync(service);
        await using (connection)
        {
            byte[][] chunks = [new byte[10], new byte[0], new byte[70_000]];
            Assert.Equal("photos:3:140020", await client.MeasureAsync("photos", AsyncItems.Of(chunks), 2));
            Assert.Equal("none:0:0", await client.MeasureAsync("none", AsyncItems.Of<byte[]>()));
            await client.KeepAsync(AsyncItems.Of("a", "", "c"));
            Assert.Equal(["a", "", "c"], service.Kept);
        }
    }

    [Fact]
    public async Task A_bidirectional_stream_answers_each_item_as_it_arrives()
    {
        var service = new Streaming();
        var (client, connection) = await ConnectAsync(service);
        await using (connection)
        {
            var lines = System.Threading.Channels.Channel.CreateUnbounded<string>();
            await using IAsyncEnumerator<string> echoes = client.EchoAsync("> ", lines.Reader.ReadAllAsync()).GetAsyncEnumerator();
            // One at a time: each answer comes before the next line is even written, so both directions are live at once.
            foreach (string line in new[] { "one", "two", "three" })
            {
                lines.Writer.TryWrite(line);
                Assert.True(await echoes.MoveNextAsync().AsTask().WaitAsync(Patience));
                Assert.Equal("> " + line, echoes.Current);
            }
            lines.Writer.Complete();
            Assert.False(await echoes.MoveNextAsync().AsTask().WaitAsync(Patience));

            var many = new ProducedItems();
            List<string> all = await client.EchoAsync("#", Strings(many.Range(1_000))).ToListAsync();
            Assert.Equal(Enumerable.Range(1, 1_000).Select(i => "#" + i), all);
        }
    }

    [Fact]
    public async Task A_callee_that_returns_early_stops_the_callers_producer()
    {
        var service = new Streaming();
        var (client, connection) = await ConnectAsync(service);
        await using (connection)
        {
            var items = new ProducedItems();
            Assert.Equal(3, await client.TakeAsync(3, items.Endless()));
            // The producer is told to stop (its enumeration ends) rather than producing for nobody.
            await items.Ended.Task.WaitAsync(Patience);
            int produced = items.Produced;
            await Task.Delay(200);
            Assert.Equal(produced, items.Produced);
        }
    }

    [Fact]
    public async Task A_callee_that_fails_midway_fails_the_call_typed_and_stops_the_producer()
    {
        var service = new Streaming();
        var (client, connection) = await ConnectAsync(service);
        await using (connection)
        {
            var items = new ProducedItems();
            var error = await Assert.ThrowsAnyAsync<SidecarException>(() => client.FailAfterAsync(5, items.Endless()));
            Assert.Contains("failed after 5 items", error.Message);
            await items.Ended.Task.WaitAsync(Patience);
            // The connection is fine afterwards.
            Assert.Equal(6, await client.SumAsync(AsyncItems.Of(1, 2, 3)));
        }
    }

    [Fact]
    public async Task A_caller_whose_stream_fails_gets_its_own_exception_and_the_callee_learns_of_it()
    {
        var service = new Streaming();
        var (client, connection) = await ConnectAsync(service);
        await using (connection)
        {
            // It breaks once the callee has read five items (its implementation is running, on every transport).
            var error = await Assert.ThrowsAsync<FormatException>(() => client.ObserveAsync(BreakingAfterFive(service)));
            Assert.Equal("the caller's stream broke at 10", error.Message);
            Exception seen = await WaitForAsync(service.InputErrors);
            if (InputErrorsArriveTyped)
            {
                var remote = Assert.IsType<SidecarRemoteException>(seen);
                Assert.Contains("the caller's stream broke at 10", remote.Message);
            }
            else
            {
                Assert.True(seen is OperationCanceledException or IOException or InvalidOperationException || seen.GetType().Name == "RpcException", seen.ToString());
            }
            Assert.Equal(3, await client.SumAsync(AsyncItems.Of(1, 2)));
        }
    }

    [Fact]
    public async Task Cancelling_the_call_midstream_cancels_the_callee_and_stops_the_producer()
    {
        var service = new Streaming();
        var (client, connection) = await ConnectAsync(service);
        await using (connection)
        {
            var items = new ProducedItems();
            using var cts = new CancellationTokenSource();
            Task<int> call = client.WaitForeverAsync(items.Range(20), cts.Token);
            while (Volatile.Read(ref service.Consumed) < 20) await Task.Delay(10);
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
            await service.Cancelled.Task.WaitAsync(Patience);

            // A bidirectional stream left early: the callee's producer and the caller's both stop.
            var more = new ProducedItems();
            await foreach (string echo in client.EchoAsync("", Strings(more.Endless())))
                if (echo == "5") break;
            await more.Ended.Task.WaitAsync(Patience);
        }
    }

    [Fact]
    public async Task Cancelling_the_call_ends_an_input_read_without_a_token_of_its_own()
    {
        var service = new Streaming();
        var (client, connection) = await ConnectAsync(service);
        await using (connection)
        {
            var items = System.Threading.Channels.Channel.CreateUnbounded<int>();
            using var cts = new CancellationTokenSource();
            Task<int> call = client.ReadPlainlyAsync(items.Reader.ReadAllAsync(), cts.Token);
            items.Writer.TryWrite(1);
            while (Volatile.Read(ref service.Consumed) < 1) await Task.Delay(10);
            cts.Cancel(); // the caller's stream is still open: only the call's cancellation can end the read
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
            Exception? ended = await service.PlainReadEnded.Task.WaitAsync(Patience);
            Assert.True(ended is OperationCanceledException or IOException || ended?.GetType().Name == "RpcException", ended?.ToString() ?? "ended cleanly");
            Assert.Equal(3, await client.SumAsync(AsyncItems.Of(1, 2)));
        }
    }

    [Fact]
    public async Task A_slow_callee_holds_the_producer_back()
    {
        var service = new Streaming();
        var (client, connection) = await ConnectAsync(service);
        await using (connection)
        {
            // 300 chunks of 64 KiB (19 MiB), read one every 10 ms.
            var items = new ProducedItems();
            Task<long> call = client.SlowBytesAsync(10, items.Chunks(300, 64 * 1024));
            await Task.Delay(1_000);
            // A second in, the callee read about 100 chunks: the producer may be ahead by what the transport lets it
            // (a window of credit; HTTP/2's flow control windows on gRPC), never by the whole stream.
            int produced = Volatile.Read(ref items.Produced), consumed = Volatile.Read(ref service.Consumed);
            Assert.True(produced - consumed <= MaxAhead, $"produced {produced}, consumed {consumed}");
            Assert.True(produced < 300, $"produced {produced}");
            Assert.Equal(300L * 64 * 1024, await call.WaitAsync(TimeSpan.FromSeconds(60)));
        }
    }

    [Fact]
    public async Task Streams_of_bytes_larger_than_any_message_cross_in_chunks_both_ways()
    {
        var service = new Streaming();
        var (client, connection) = await ConnectAsync(service);
        await using (connection)
        {
            // 20 MiB + 3 bytes: more than the 16 MiB message limit of JSON-RPC and MessagePack-RPC and gRPC's 4 MiB.
            long size = 20L * 1024 * 1024 + 3;
            byte[] expectedHash = System.Security.Cryptography.SHA256.HashData(new PatternStream(size));
            string hash = await client.HashAsync("up", new PatternStream(size));
            Assert.Equal($"up:{size}:{Convert.ToHexStringLower(expectedHash)}", hash);
            Assert.Equal("empty:0:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Array.Empty<byte>())),
                await client.HashAsync("empty", new MemoryStream()));

            await using (Stream download = await client.DownloadAsync(size))
            {
                byte[] got = System.Security.Cryptography.SHA256.HashData(download);
                Assert.Equal(expectedHash, got);
            }
            await using (Stream none = await client.DownloadAsync(0))
                Assert.Equal(0, await none.ReadAsync(new byte[10]));

            // Both ways at once: the inverted bytes come back while the rest is still being sent.
            byte[] original = new byte[3 * ByteStreams.ChunkSize + 17];
            Random.Shared.NextBytes(original);
            await using Stream inverted = await client.InvertAsync(new MemoryStream(original));
            var back = new MemoryStream();
            await inverted.CopyToAsync(back);
            Assert.Equal(original.Select(b => (byte)~b), back.ToArray());
        }
    }

    [Fact]
    public async Task A_download_left_early_cancels_the_call_and_the_connection_goes_on()
    {
        var service = new Streaming();
        var (client, connection) = await ConnectAsync(service);
        await using (connection)
        {
            await using (Stream download = await client.DownloadAsync(long.MaxValue))
            {
                byte[] buffer = new byte[100_000];
                await download.ReadExactlyAsync(buffer);
                Assert.Equal(PatternStream.At(99_999), buffer[99_999]);
            }
            Assert.Equal(6, await client.SumAsync(AsyncItems.Of(1, 2, 3)));
        }
    }

    /// <summary>How far a producer of 64 KiB items may run ahead of a slow consumer on this transport.</summary>
    protected virtual int MaxAhead => 64 + 32 + 2;

    private static async IAsyncEnumerable<int> BreakingAfterFive(Streaming service)
    {
        for (int i = 1; i <= 5; i++) yield return i;
        DateTime deadline = DateTime.UtcNow + Patience;
        while (Volatile.Read(ref service.Consumed) < 5 && DateTime.UtcNow < deadline) await Task.Delay(10);
        throw new FormatException("the caller's stream broke at 10");
    }

    protected static async IAsyncEnumerable<string> Strings(IAsyncEnumerable<int> items)
    {
        await foreach (int i in items) yield return i.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<T> WaitForAsync<T>(System.Collections.Concurrent.ConcurrentQueue<T> queue)
    {
        DateTime deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            if (queue.TryPeek(out T? item)) return item;
            await Task.Delay(10);
        }
        throw new TimeoutException("nothing arrived");
    }
}
