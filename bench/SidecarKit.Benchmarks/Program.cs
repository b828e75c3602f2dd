using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Order;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using SidecarKit.Benchmarks;

// `--quick [calls]`: a plain Stopwatch loop (no BenchmarkDotNet) that also reports per-call CPU time of both processes
// and latency percentiles; for looking into where the time goes. Anything else is passed to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "--quick")
{
    int calls = args.Length > 1 ? int.Parse(args[1]) : 100_000;
    await QuickLoop.RunAsync(calls);
    return 0;
}
// `--peers [calls]`: ours and the peers (StreamJsonRpc, plain grpc-dotnet) in interleaved Stopwatch rounds; ratios per round.
if (args.Length > 0 && args[0] == "--peers")
{
    await SidecarKit.Benchmarks.Peers.PeerLoop.RunAsync(args.Length > 1 ? int.Parse(args[1]) : 50_000);
    return 0;
}
// `--diag [calls]`: the call engine alone (in-memory loopback) and allocations by type; see CallPathProbe.cs.
if (args.Length > 0 && args[0] == "--diag")
{
    await CallPathProbe.RunAsync(args.Length > 1 ? int.Parse(args[1]) : 100_000);
    return 0;
}
// `--bulk-loop <row> [seconds]`: one BulkBenchmarks row (e.g. GrpcUnixUpload_64MiB) or demo.add row in a loop, with the pids to attach a
// profiler to (dotnet-trace collect -p <pid>); prints the rate every second. See BulkLoop.cs.
if (args.Length > 1 && args[0] == "--bulk-loop")
{
    await BulkLoop.RunAsync(args[1], args.Length > 2 ? int.Parse(args[2]) : 30);
    return 0;
}
// `--spawn-footprint [spawns]`: the demo sidecar's size on disk and VmRSS after ready, JIT vs NativeAOT (also printed
// after the spawn benchmarks); see SpawnFootprint.cs.
if (args.Length > 0 && args[0] == "--spawn-footprint")
{
    await SpawnFootprint.PrintAsync(args.Length > 1 ? int.Parse(args[1]) : 10);
    return 0;
}

// In process: BenchmarkDotNet neither generates nor builds a project per benchmark (the children are started by the
// benchmarks' GlobalSetup, which needs the files built next to this program). Few iterations: the whole suite runs in
// about two minutes on 2 cores.
IConfig config = DefaultConfig.Instance
    .AddJob(Job.Default
        .WithToolchain(InProcessEmitToolchain.Instance)
        .WithWarmupCount(6)
        .WithIterationCount(40)
        .WithId("InProcess"))
    .AddColumn(StatisticColumn.Median, StatisticColumn.P95, StatisticColumn.OperationsPerSecond)
    .WithOrderer(new DefaultOrderer(SummaryOrderPolicy.Declared, MethodOrderPolicy.Declared))
    .WithOptions(ConfigOptions.JoinSummary);

// Without a filter BenchmarkDotNet would ask which benchmarks to run: run them all.
string[] bdnArgs = args.Contains("--filter") || args.Contains("-f") ? args : [.. args, "--filter", "*"];
Summary[] summaries = BenchmarkSwitcher.FromAssembly(typeof(StdioBenchmarks).Assembly).Run(bdnArgs, config).ToArray();
if (summaries.Length == 0 || summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)))
    return 1;
Targets.Print(summaries.SelectMany(s => s.Reports));
if (summaries.Any(s => s.Reports.Any(r => r.BenchmarkCase.Descriptor.Type == typeof(SpawnBenchmarks))))
    await SpawnFootprint.PrintAsync(spawns: 10);
return 0;
