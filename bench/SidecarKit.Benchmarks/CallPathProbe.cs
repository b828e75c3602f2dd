using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.IO.Pipelines;
using SidecarKit.Rpc;
using SidecarKit.Samples.Demo;
using SidecarKit.Transports.JsonLines;

namespace SidecarKit.Benchmarks;

/// <summary>
/// `--diag`: where time and bytes go per typed call. Runs demo.add over two <see cref="RpcConnection"/>s joined by
/// in-memory pipes in this process (no child process, no kernel pipe), so what is left is the call engine itself:
/// proxy, envelope and codecs, the write loops, the read loops, and the thread-pool hops between them, on both sides.
/// Then samples allocations by type (the runtime's GC AllocationTick event, one sample per ~100 KB) for the loopback
/// and for the real sidecar (parent side only).
/// </summary>
internal static class CallPathProbe
{
    public static async Task RunAsync(int calls)
    {
        Console.WriteLine("The JSON work alone (one thread, no I/O):");
        WireCycle.Run(calls * 10);
        Console.WriteLine();

        await using (var loop = Loopback.Create())
        {
            IDemo demo = loop.Client.GetClient<IDemo>();
            for (int i = 0; i < 20_000; i++) await demo.AddAsync(1, 2);
            Console.WriteLine("In-memory loopback (client and server RpcConnection in this process; both sides' costs):");
            await Time("  TypedAdd_1 loopback", calls, async () => await demo.AddAsync(1, 2));
            var tasks = new Task[StdioBenchmarks.Outstanding];
            await Time("  TypedAdd_64 loopback", calls, async () =>
            {
                for (int i = 0; i < tasks.Length; i++) tasks[i] = demo.AddAsync(i, 1);
                await Task.WhenAll(tasks);
            }, StdioBenchmarks.Outstanding);
            Console.WriteLine();
            Console.WriteLine("Allocations by type, loopback TypedAdd_1 (client + server):");
            await SampleAllocations(calls, async () => await demo.AddAsync(1, 2));
        }

        await using (var sidecar = await DemoSidecarStarter.StartAsync())
        {
            IDemo demo = sidecar.GetClient<IDemo>();
            for (int i = 0; i < 20_000; i++) await demo.AddAsync(1, 2);
            Console.WriteLine();
            Console.WriteLine("Allocations by type, TypedAdd_1 to the demo sidecar (parent process only):");
            await SampleAllocations(calls, async () => await demo.AddAsync(1, 2));
        }

        await using (RawEchoClient raw = RawEchoClient.Start())
        {
            byte[] line = "0123456789abcde\n"u8.ToArray();
            Func<Task> echo = async () =>
            {
                await raw.WriteAsync(line);
                await raw.ReadLinesAsync(1);
            };
            for (int i = 0; i < 20_000; i++) await echo();
            Console.WriteLine();
            Console.WriteLine("Allocations by type, RawStdioEcho_1 (parent process only):");
            await SampleAllocations(calls, echo);
        }
    }

    private static async Task Time(string name, int calls, Func<Task> invoke, int perInvoke = 1)
    {
        int invokes = calls / perInvoke;
        using Process self = Process.GetCurrentProcess();
        self.Refresh();
        TimeSpan cpu0 = self.TotalProcessorTime;
        long bytes0 = GC.GetTotalAllocatedBytes(precise: true);
        long workItems0 = ThreadPool.CompletedWorkItemCount;
        var latencies = new long[invokes];
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < invokes; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            await invoke();
            latencies[i] = Stopwatch.GetTimestamp() - t0;
        }
        TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
        long bytes = GC.GetTotalAllocatedBytes(precise: true) - bytes0;
        long workItems = ThreadPool.CompletedWorkItemCount - workItems0;
        self.Refresh();
        TimeSpan cpu = self.TotalProcessorTime - cpu0;
        Array.Sort(latencies);
        int ops = invokes * perInvoke;
        double p50 = latencies[latencies.Length / 2] * 1e6 / Stopwatch.Frequency / perInvoke;
        Console.WriteLine($"{name,-24} {elapsed.TotalMicroseconds / ops,7:0.00} µs/call (p50 {p50:0.00})  {cpu.TotalMicroseconds / ops,6:0.00} µs CPU/call  {(double)bytes / ops,5:0} B/call  {(double)workItems / ops,5:0.00} pool items/call");
    }

    private static async Task SampleAllocations(int calls, Func<Task> invoke)
    {
        using var listener = new AllocationListener();
        long bytes0 = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < calls; i++) await invoke();
        long bytes = GC.GetTotalAllocatedBytes(precise: true) - bytes0;
        await Task.Delay(200); // events arrive asynchronously
        KeyValuePair<string, long>[] byType = listener.Snapshot();
        long sampled = byType.Sum(p => p.Value);
        Console.WriteLine($"  {(double)bytes / calls:0} B/call in all; sampled types, share of sampled bytes ≈ bytes/call:");
        foreach ((string type, long amount) in byType.OrderByDescending(p => p.Value).Take(12))
            Console.WriteLine($"  {100.0 * amount / sampled,5:0.0}%  ≈{(double)bytes / calls * amount / sampled,5:0} B  {type}");
    }

    private sealed class AllocationListener : EventListener
    {
        private readonly Dictionary<string, long> _byType = [];
        private bool _enabled;

        protected override void OnEventSourceCreated(EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime")
            {
                EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1 /* GC */);
                _enabled = true;
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            if (!_enabled || !e.EventName!.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.PayloadNames is null) return;
            int typeIndex = e.PayloadNames.IndexOf("TypeName");
            int amountIndex = e.PayloadNames.IndexOf("AllocationAmount64");
            if (typeIndex < 0 || amountIndex < 0) return;
            string type = e.Payload![typeIndex] as string ?? "?";
            long amount = Convert.ToInt64(e.Payload[amountIndex]);
            lock (_byType) _byType[type] = _byType.GetValueOrDefault(type) + amount;
        }

        public KeyValuePair<string, long>[] Snapshot()
        {
            lock (_byType) return [.. _byType];
        }
    }

    /// <summary>Two connections over in-memory pipes: a client and a server serving <see cref="IDemo"/>.</summary>
    private sealed class Loopback : IAsyncDisposable
    {
        private Loopback(RpcConnection client, RpcConnection server)
        {
            Client = client;
            Server = server;
        }

        public RpcConnection Client { get; }
        public RpcConnection Server { get; }

        public static Loopback Create()
        {
            var toServer = new Pipe(new PipeOptions(useSynchronizationContext: false));
            var toClient = new Pipe(new PipeOptions(useSynchronizationContext: false));
            var handlers = new RpcHandlerTable().AddContract<IDemo>(new AddOnlyDemo());
            var server = new RpcConnection(new Duplex(toServer.Reader, toClient.Writer), new JsonRpcProtocol(), handlers);
            var client = new RpcConnection(new Duplex(toClient.Reader, toServer.Writer), new JsonRpcProtocol());
            server.Start();
            client.Start();
            return new Loopback(client, server);
        }

        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            await Server.DisposeAsync();
        }

        private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
        {
            public PipeReader Input => input;
            public PipeWriter Output => output;
        }
    }

    /// <summary>demo.add as the demo sidecar implements it; the rest is not used here.</summary>
    private sealed class AddOnlyDemo : IDemo
    {
        public Task<int> AddAsync(int a, int b, CancellationToken ct) => Task.FromResult(checked(a + b));
        public Task<Person> EchoAsync(Person person, CancellationToken ct) => throw new NotSupportedException();
        public Task<double> DivideAsync(double dividend, double divisor, CancellationToken ct) => throw new NotSupportedException();
        public IAsyncEnumerable<int> CountAsync(int to, CancellationToken ct) => throw new NotSupportedException();
        public Task<string> SleepAsync(int milliseconds, CancellationToken ct) => throw new NotSupportedException();
        public Task<byte[]> BlobAsync(int size, CancellationToken ct) => throw new NotSupportedException();
        public void Log(string message) { }
        public Task ExitAsync(int code) => throw new NotSupportedException();
        public Task<int> WorkAsync(int steps, CancellationToken ct) => throw new NotSupportedException();
        public Task<long> SumAsync(IAsyncEnumerable<int> values, CancellationToken ct) => throw new NotSupportedException();
        public IAsyncEnumerable<string> ChatAsync(string prefix, IAsyncEnumerable<string> lines, CancellationToken ct) => throw new NotSupportedException();
        public Task<double> AreaAsync(Shape shape, CancellationToken ct) => throw new NotSupportedException();
        public Task<int> StepsAsync(int steps, IProgress<int> progress, CancellationToken ct) => throw new NotSupportedException();
        public Task<string> UploadAsync(Stream data, CancellationToken ct) => throw new NotSupportedException();
        public Task<Stream> DownloadAsync(long size, CancellationToken ct) => throw new NotSupportedException();
        public Task<Sample> SampleAsync(Sample sample, CancellationToken ct) => throw new NotSupportedException();
    }
}
