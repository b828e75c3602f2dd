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

        TimedOperation[] operations =
        [
            new TimedOperation("RawStdioEcho_1", 1, echoChild, async () =>
            {
                await raw.WriteAsync(Workloads.Line).ConfigureAwait(false);
                await raw.ReadLinesAsync(1).ConfigureAwait(false);
            }),
            new TimedOperation("RawStdioEcho_64", StdioBenchmarks.Outstanding, echoChild, async () => await Workloads.EchoBurstAsync(raw).ConfigureAwait(false)),
            new TimedOperation("TypedAdd_1", 1, demoChild, async () => await demo.AddAsync(1, 2).ConfigureAwait(false)),
            new TimedOperation("TypedAdd_64", StdioBenchmarks.Outstanding, demoChild, () => Workloads.AddConcurrentlyAsync(demo, tasks)),
        ];

        foreach (TimedOperation op in operations) // warm up (tiered JIT) in both processes
            for (int i = 0; i < 20_000 / op.PerInvoke + 1; i++) await op.Invoke();

        int invokesPerRound = Math.Max(1, calls / Rounds);
        var roundRatios = new List<double>();
        for (int round = 0; round < Rounds; round++)
        {
            foreach (TimedOperation op in operations)
                await op.MeasureAsync(Math.Max(1, invokesPerRound / op.PerInvoke));
            roundRatios.Add(operations[2].LastRoundMedian / operations[0].LastRoundMedian);
        }

        Console.WriteLine($"{Rounds} interleaved rounds:");
        Console.WriteLine(TimedOperation.Header);
        foreach (TimedOperation op in operations) Console.WriteLine(op.Summary());
        roundRatios.Sort();
        Console.WriteLine($"TypedAdd_1 / RawStdioEcho_1 median ratio per round: min {roundRatios[0]:0.00}, median {roundRatios[Rounds / 2]:0.00}, max {roundRatios[^1]:0.00}");
    }
}
