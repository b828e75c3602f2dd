using System.Diagnostics;
using SidecarKit.Samples.Demo;

namespace SidecarKit.Benchmarks;

/// <summary>
/// A Stopwatch loop over the same four operations, without BenchmarkDotNet. Both children run at once and the
/// operations take turns in short rounds, so a busy machine slows them alike and the ratios stay meaningful. Reports
/// wall time per call, latency percentiles, bytes allocated in this process per call, CPU time per call in this
/// process and in the child, and thread-pool work items run in this process per call (each one a hand-off from one
/// thread to another).
/// </summary>
internal static class QuickLoop
{
    private const int Rounds = 10;

    public static async Task RunAsync(int calls)
    {
        await using RawEchoClient raw = RawEchoClient.Start();
        await using var sidecar = await DemoSidecarStarter.StartAsync();
        IDemo demo = sidecar.GetClient<IDemo>();
        using Process echoChild = Process.GetProcessById(raw.ProcessId);
        using Process demoChild = Process.GetProcessById(sidecar.ProcessId);
        var tasks = new Task[StdioBenchmarks.Outstanding];

        Operation[] operations =
        [
            new("RawStdioEcho_1", 1, echoChild, async () =>
            {
                await raw.WriteAsync(Workloads.Line).ConfigureAwait(false);
                await raw.ReadLinesAsync(1).ConfigureAwait(false);
            }),
            new("RawStdioEcho_64", StdioBenchmarks.Outstanding, echoChild, async () => await Workloads.EchoBurstAsync(raw).ConfigureAwait(false)),
            new("TypedAdd_1", 1, demoChild, async () => await demo.AddAsync(1, 2).ConfigureAwait(false)),
            new("TypedAdd_64", StdioBenchmarks.Outstanding, demoChild, () => Workloads.AddConcurrentlyAsync(demo, tasks)),
        ];

        foreach (Operation op in operations) // warm up (tiered JIT) in both processes
            for (int i = 0; i < 20_000 / op.PerInvoke + 1; i++) await op.Invoke();

        int invokesPerRound = Math.Max(1, calls / Rounds);
        var roundRatios = new List<double>();
        for (int round = 0; round < Rounds; round++)
        {
            foreach (Operation op in operations)
                await op.MeasureAsync(Math.Max(1, invokesPerRound / op.PerInvoke));
            roundRatios.Add(operations[2].LastRoundMedian / operations[0].LastRoundMedian);
        }

        Console.WriteLine($"{Rounds} interleaved rounds:");
        Console.WriteLine($"{"operation",-16} {"calls",8} {"µs/call",8} {"p50 µs",7} {"p90 µs",7} {"p99 µs",7} {"B/call",7} {"parent CPU µs",13} {"child CPU µs",12} {"calls/s",9} {"pool items",10}");
        foreach (Operation op in operations) Console.WriteLine(op.Summary());
        roundRatios.Sort();
        Console.WriteLine($"TypedAdd_1 / RawStdioEcho_1 median ratio per round: min {roundRatios[0]:0.00}, median {roundRatios[Rounds / 2]:0.00}, max {roundRatios[^1]:0.00}");
    }

    private sealed class Operation(string name, int perInvoke, Process child, Func<Task> invoke)
    {
        private readonly List<double> _latencies = []; // µs per call, one entry per invoke
        private double _elapsedUs, _parentCpuUs, _childCpuUs;
        private long _bytes, _workItems, _ops;

        public int PerInvoke => perInvoke;
        public Func<Task> Invoke => invoke;
        public double LastRoundMedian { get; private set; }

        public async Task MeasureAsync(int invokes)
        {
            var latencies = new double[invokes];
            using Process self = Process.GetCurrentProcess();
            self.Refresh(); child.Refresh();
            TimeSpan parentCpu0 = self.TotalProcessorTime, childCpu0 = child.TotalProcessorTime;
            long bytes0 = GC.GetTotalAllocatedBytes(precise: true);
            long workItems0 = ThreadPool.CompletedWorkItemCount;
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < invokes; i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                await invoke().ConfigureAwait(false);
                latencies[i] = (Stopwatch.GetTimestamp() - t0) * 1e6 / Stopwatch.Frequency / perInvoke;
            }
            _elapsedUs += Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            _bytes += GC.GetTotalAllocatedBytes(precise: true) - bytes0;
            _workItems += ThreadPool.CompletedWorkItemCount - workItems0;
            self.Refresh(); child.Refresh();
            _parentCpuUs += (self.TotalProcessorTime - parentCpu0).TotalMicroseconds;
            _childCpuUs += (child.TotalProcessorTime - childCpu0).TotalMicroseconds;
            _ops += (long)invokes * perInvoke;
            _latencies.AddRange(latencies);
            Array.Sort(latencies);
            LastRoundMedian = latencies[latencies.Length / 2];
        }

        public string Summary()
        {
            _latencies.Sort();
            double Pct(double p) => _latencies[(int)Math.Min(_latencies.Count - 1, p * _latencies.Count)];
            return $"{name,-16} {_ops,8} {_elapsedUs / _ops,8:0.00} {Pct(0.5),7:0.00} {Pct(0.9),7:0.00} {Pct(0.99),7:0.00} " +
                $"{(double)_bytes / _ops,7:0} {_parentCpuUs / _ops,13:0.00} {_childCpuUs / _ops,12:0.00} {_ops / (_elapsedUs / 1e6),9:0} {(double)_workItems / _ops,10:0.00}";
        }
    }
}
