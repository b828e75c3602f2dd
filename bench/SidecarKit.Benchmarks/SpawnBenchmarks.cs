using BenchmarkDotNet.Attributes;
using Perfolizer.Mathematics.OutlierDetection;
using SidecarKit.Processes;
using SidecarKit.Samples.Demo;

namespace SidecarKit.Benchmarks;

/// <summary>
/// Spawn to ready and spawn to first answer of the demo sidecar, the NativeAOT build against the JIT build, in the same
/// run (issue 12; the footprint, binary size and VmRSS, is printed after the table by <see cref="SpawnFootprint"/>).
/// </summary>
/// <remarks>
/// One iteration is one spawn (<c>InvocationCount(1)</c>): a sidecar can be started only once, and a loop of spawns
/// would put each one's stop into the next one's time. The measured operation ends when the answer is in; stopping the
/// sidecar (<c>system.shutdown</c>, waiting for its exit, closing the pipes) happens in <see cref="StopSidecars"/>,
/// outside the measurement, so the next spawn starts on a machine without a sidecar running. 100 iterations instead of
/// the suite's 40: a spawn is short next to the cleanup, and the P95 of 40 samples would be their second largest. No
/// outlier is removed: a slow spawn is part of what a user gets, and removing them would flatter the P95.
/// Ready is what <c>SidecarProcess.StartAsync</c> waits for: the earlier of the <c>__SIDECAR_READY__:</c> marker on
/// stderr and <c>lifecycle.ready</c> on stdout. The host writes the marker first, before it opens the JSON-lines
/// connection on stdio, so ToReady covers: the start info, fork/exec on SidecarKit's spawner thread, the child's
/// startup (runtime start and JIT for the JIT build, neither for NativeAOT) and its host's, and the marker read and
/// parsed here. ToFirstAnswer adds the sidecar opening its stdio connection, the first request's dispatch on both sides
/// and the round trip.
/// </remarks>
[InvocationCount(1)]
[IterationCount(100)]
[Outliers(OutlierMode.DontRemove)]
public class SpawnBenchmarks
{
    // Every sidecar started in an iteration; more than one only if BenchmarkDotNet calls the method twice between cleanups.
    private readonly List<SidecarProcess> _started = [];

    /// <summary>Fails the NativeAOT rows at once, with what to run, when the NativeAOT build is not published.</summary>
    [GlobalSetup(Targets = [nameof(NativeAot_ToReady), nameof(NativeAot_ToFirstAnswer)])]
    public void FindNativeAot()
    {
        string native = DemoSidecarBuild.NativeAot.Executable;
        // An old binary would compare yesterday's code with today's: say so rather than silently measure it.
        if (File.GetLastWriteTimeUtc(native) < File.GetLastWriteTimeUtc(ChildPaths.DemoSidecar))
            Console.Error.WriteLine($"warning: {native} is older than the JIT build ({ChildPaths.DemoSidecar}); bench/run.sh republishes it.");
    }

    /// <summary><c>SidecarProcess.StartAsync</c> of the JIT build (its apphost) until it returns: the sidecar is ready.</summary>
    [Benchmark]
    public Task Jit_ToReady() => StartAsync(DemoSidecarBuild.Jit);

    /// <summary>The same for the NativeAOT executable.</summary>
    [Benchmark]
    public Task NativeAot_ToReady() => StartAsync(DemoSidecarBuild.NativeAot);

    /// <summary>Spawn, ready, then one <c>demo.add</c> over JSON lines through the generated proxy, until the answer is in.</summary>
    [Benchmark]
    public Task<int> Jit_ToFirstAnswer() => StartAndAddAsync(DemoSidecarBuild.Jit);

    /// <summary>The same for the NativeAOT executable.</summary>
    [Benchmark]
    public Task<int> NativeAot_ToFirstAnswer() => StartAndAddAsync(DemoSidecarBuild.NativeAot);

    [IterationCleanup]
    public void StopSidecars()
    {
        foreach (SidecarProcess sidecar in _started) sidecar.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _started.Clear();
    }

    [GlobalCleanup]
    public void Stop() => StopSidecars();

    private async Task<SidecarProcess> StartAsync(DemoSidecarBuild build)
    {
        SidecarProcess sidecar = await build.StartAsync().ConfigureAwait(false);
        _started.Add(sidecar);
        return sidecar;
    }

    private async Task<int> StartAndAddAsync(DemoSidecarBuild build)
    {
        SidecarProcess sidecar = await StartAsync(build).ConfigureAwait(false);
        int sum = await sidecar.GetClient<IDemo>().AddAsync(1, 2).ConfigureAwait(false);
        return sum == 3 ? sum : throw new InvalidOperationException($"demo.add(1, 2) answered {sum}.");
    }
}
