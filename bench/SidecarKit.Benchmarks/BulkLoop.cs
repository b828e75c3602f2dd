using System.Diagnostics;

namespace SidecarKit.Benchmarks;

/// <summary>
/// One <see cref="BulkBenchmarks"/> row (or a demo.add row of <see cref="GrpcBenchmarks"/>, <see cref="StdioBenchmarks"/> or
/// <see cref="UnixSocketBenchmarks"/>, ours or a peer's, _1 or _64) run over and over for a
/// while, outside BenchmarkDotNet, so that a profiler can be attached to both ends (<c>dotnet-trace collect -p
/// &lt;pid&gt;</c>, <c>perf record -p</c>) or their CPU time read from <c>/proc</c>: prints the pids, then the rate
/// each second (a running average since the start). Besides <c>GrpcAdd</c> and <c>GrpcDotnetAdd</c>, two crossed pairs
/// tell the client's cost from the server's: <c>GrpcProxyToPlain</c> (our generated proxy calling the plain grpc-dotnet
/// server) and <c>GrpcPlainToOurs</c> (the protoc-generated client calling the demo sidecar); each as <c>_1</c> or <c>_64</c>.
/// </summary>
internal static class BulkLoop
{
    public static Task RunAsync(string row, int seconds)
    {
        if (row.StartsWith("Grpc", StringComparison.Ordinal) && (row.EndsWith("_64", StringComparison.Ordinal) || row.EndsWith("_1", StringComparison.Ordinal)))
        {
            var calls = new GrpcBenchmarks();
            bool one = row.EndsWith("_1", StringComparison.Ordinal);
            Func<Task> ours = one ? calls.GrpcAdd_1 : calls.GrpcAdd_64, plain = one ? calls.GrpcDotnetAdd_1 : calls.GrpcDotnetAdd_64;
            (Action setup, Func<Task> invoke) = row[..row.LastIndexOf('_')] switch
            {
                "GrpcAdd" => ((Action)calls.StartDemoSidecar, ours),
                "GrpcDotnetAdd" => ((Action)calls.StartGrpcDotnet, plain),
                "GrpcProxyToPlain" => ((Action)calls.StartProxyToPlain, ours),
                "GrpcPlainToOurs" => ((Action)calls.StartPlainToOurs, plain),
                _ => throw new ArgumentException($"--bulk-loop takes GrpcAdd, GrpcDotnetAdd, GrpcProxyToPlain or GrpcPlainToOurs with _1 or _64, not '{row}'."),
            };
            return LoopAsync(setup, invoke, calls.Stop, () => calls.ServerPid, seconds, one ? StdioBenchmarks.Sequential : StdioBenchmarks.Outstanding, "calls/s");
        }
        if (row.EndsWith("_1", StringComparison.Ordinal) || row.EndsWith("_64", StringComparison.Ordinal))
        {
            // demo.add (or the StreamJsonRpc peer's) over stdio or a Unix socket.
            bool one = row.EndsWith("_1", StringComparison.Ordinal);
            var stdio = new StdioBenchmarks();
            var unix = new UnixSocketBenchmarks();
            (Action setup, Func<Task> invoke, Action stop, Func<int> pid) = row[..row.LastIndexOf('_')] switch
            {
                "TypedAdd" => ((Action)stdio.StartDemoSidecar, (Func<Task>)(one ? stdio.TypedAdd_1 : stdio.TypedAdd_64), (Action)stdio.Stop, (Func<int>)(() => stdio.ServerPid)),
                "MsgpackStdioAdd" => (stdio.StartMessagePackSidecar, one ? stdio.MsgpackStdioAdd_1 : stdio.MsgpackStdioAdd_64, stdio.Stop, () => stdio.ServerPid),
                "SjrJsonStdioAdd" => (stdio.StartStreamJsonRpcJson, one ? stdio.SjrJsonStdioAdd_1 : stdio.SjrJsonStdioAdd_64, stdio.Stop, () => stdio.ServerPid),
                "SjrMsgpackStdioAdd" => (stdio.StartStreamJsonRpcMessagePack, one ? stdio.SjrMsgpackStdioAdd_1 : stdio.SjrMsgpackStdioAdd_64, stdio.Stop, () => stdio.ServerPid),
                "MsgpackUnixAdd" => (unix.StartDemoSidecar, one ? unix.MsgpackUnixAdd_1 : unix.MsgpackUnixAdd_64, unix.Stop, () => unix.ServerPid),
                "SjrJsonUnixAdd" => (unix.StartStreamJsonRpcJson, one ? unix.SjrJsonUnixAdd_1 : unix.SjrJsonUnixAdd_64, unix.Stop, () => unix.ServerPid),
                "SjrMsgpackUnixAdd" => (unix.StartStreamJsonRpcMessagePack, one ? unix.SjrMsgpackUnixAdd_1 : unix.SjrMsgpackUnixAdd_64, unix.Stop, () => unix.ServerPid),
                _ => throw new ArgumentException($"--bulk-loop takes a demo.add row of StdioBenchmarks or UnixSocketBenchmarks (TypedAdd, MsgpackStdioAdd, MsgpackUnixAdd or a StreamJsonRpc row, with _1 or _64), not '{row}'."),
            };
            return LoopAsync(setup, invoke, stop, pid, seconds, one ? StdioBenchmarks.Sequential : StdioBenchmarks.Outstanding, "calls/s");
        }
        var bench = new BulkBenchmarks();
        if (row is nameof(BulkBenchmarks.JsonlChat_1k) or nameof(BulkBenchmarks.MsgpackUnixChat_1k))
        {
            bool jsonl = row == nameof(BulkBenchmarks.JsonlChat_1k);
            return LoopAsync(jsonl ? bench.StartJsonl : bench.StartMsgpackUnix, jsonl ? bench.JsonlChat_1k : bench.MsgpackUnixChat_1k,
                bench.Stop, () => bench.ServerPid, seconds, BulkBenchmarks.PingPongs, "round trips/s");
        }
        if (row.EndsWith("_10k", StringComparison.Ordinal))
        {
            (Action begin, Func<Task> items) = row switch
            {
                nameof(BulkBenchmarks.JsonlCount_10k) => ((Action)bench.StartJsonl, (Func<Task>)bench.JsonlCount_10k),
                nameof(BulkBenchmarks.JsonlSum_10k) => (bench.StartJsonl, bench.JsonlSum_10k),
                nameof(BulkBenchmarks.MsgpackUnixCount_10k) => (bench.StartMsgpackUnix, bench.MsgpackUnixCount_10k),
                nameof(BulkBenchmarks.MsgpackUnixSum_10k) => (bench.StartMsgpackUnix, bench.MsgpackUnixSum_10k),
                nameof(BulkBenchmarks.GrpcUnixCount_10k) => (bench.StartGrpcUnix, bench.GrpcUnixCount_10k),
                nameof(BulkBenchmarks.GrpcUnixSum_10k) => (bench.StartGrpcUnix, bench.GrpcUnixSum_10k),
                _ => throw new ArgumentException($"--bulk-loop takes a Count or Sum row of BulkBenchmarks, not '{row}'."),
            };
            return LoopAsync(begin, items, bench.Stop, () => bench.ServerPid, seconds, BulkBenchmarks.Items, "items/s");
        }
        (Action start, Func<Task> run) = row switch
        {
            nameof(BulkBenchmarks.JsonlDownload_64MiB) => ((Action)bench.StartJsonl, (Func<Task>)bench.JsonlDownload_64MiB),
            nameof(BulkBenchmarks.JsonlUpload_64MiB) => ((Action)bench.StartJsonl, (Func<Task>)bench.JsonlUpload_64MiB),
            nameof(BulkBenchmarks.MsgpackUnixDownload_64MiB) => ((Action)bench.StartMsgpackUnix, (Func<Task>)bench.MsgpackUnixDownload_64MiB),
            nameof(BulkBenchmarks.MsgpackUnixUpload_64MiB) => ((Action)bench.StartMsgpackUnix, (Func<Task>)bench.MsgpackUnixUpload_64MiB),
            nameof(BulkBenchmarks.GrpcUnixDownload_64MiB) => ((Action)bench.StartGrpcUnix, (Func<Task>)bench.GrpcUnixDownload_64MiB),
            nameof(BulkBenchmarks.GrpcUnixUpload_64MiB) => ((Action)bench.StartGrpcUnix, (Func<Task>)bench.GrpcUnixUpload_64MiB),
            nameof(BulkBenchmarks.RawHttp2UnixDown_64MiB) => ((Action)bench.StartRawHttp2, (Func<Task>)bench.RawHttp2UnixDown_64MiB),
            nameof(BulkBenchmarks.RawHttp2UnixUp_64MiB) => ((Action)bench.StartRawHttp2, (Func<Task>)bench.RawHttp2UnixUp_64MiB),
            nameof(BulkBenchmarks.RawHttp2UnixUpHashed_64MiB) => ((Action)bench.StartRawHttp2, (Func<Task>)bench.RawHttp2UnixUpHashed_64MiB),
            _ => throw new ArgumentException($"--bulk-loop takes a Download or Upload row of BulkBenchmarks (or a RawHttp2Unix floor), or a demo.add row of GrpcBenchmarks, StdioBenchmarks or UnixSocketBenchmarks (_1 or _64), not '{row}'."),
        };
        return LoopAsync(start, run, bench.Stop, () => bench.ServerPid, seconds, BulkBenchmarks.Size / (1024.0 * 1024), "MiB/s");
    }

    // Runs `run` for `seconds` after `setup`, printing the pids and, each second, the average rate since the start
    // (`perRun` units per run).
    private static async Task LoopAsync(Action setup, Func<Task> run, Action stop, Func<int> serverPid, int seconds, double perRun, string unit)
    {
        setup();
        try
        {
            Console.WriteLine($"parent pid {Environment.ProcessId}, server pid {serverPid()}");
            var clock = Stopwatch.StartNew();
            double done = 0;
            TimeSpan report = TimeSpan.FromSeconds(1);
            while (clock.Elapsed < TimeSpan.FromSeconds(seconds))
            {
                await run();
                done += perRun;
                if (clock.Elapsed >= report)
                {
                    Console.WriteLine($"{clock.Elapsed.TotalSeconds,5:F1} s  {done / clock.Elapsed.TotalSeconds,8:F0} {unit}");
                    report += TimeSpan.FromSeconds(1);
                }
            }
        }
        finally
        {
            stop();
        }
    }
}
