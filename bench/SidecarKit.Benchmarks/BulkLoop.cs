using System.Diagnostics;

namespace SidecarKit.Benchmarks;

/// <summary>
/// One <see cref="BulkBenchmarks"/> row (or a 64-outstanding <see cref="GrpcBenchmarks"/> row) run over and over for a
/// while, outside BenchmarkDotNet, so that a profiler can be attached to both ends (<c>dotnet-trace collect -p
/// &lt;pid&gt;</c>, <c>perf record -p</c>) or their CPU time read from <c>/proc</c>: prints the pids, then the rate
/// each second (a running average since the start). Besides <c>GrpcAdd_64</c> and <c>GrpcDotnetAdd_64</c>, two crossed
/// pairs tell the client's cost from the server's: <c>GrpcProxyToPlain_64</c> (our generated proxy calling the plain
/// grpc-dotnet server) and <c>GrpcPlainToOurs_64</c> (the protoc-generated client calling the demo sidecar).
/// </summary>
internal static class BulkLoop
{
    public static async Task RunAsync(string row, int seconds)
    {
        if (row.StartsWith("Grpc", StringComparison.Ordinal) && row.EndsWith("_64", StringComparison.Ordinal))
        {
            await RunCallsAsync(row, seconds);
            return;
        }
        var bench = new BulkBenchmarks();
        (Action setup, Func<Task> run) = row switch
        {
            nameof(BulkBenchmarks.JsonlDownload_64MiB) => ((Action)bench.StartJsonl, (Func<Task>)bench.JsonlDownload_64MiB),
            nameof(BulkBenchmarks.JsonlUpload_64MiB) => ((Action)bench.StartJsonl, (Func<Task>)bench.JsonlUpload_64MiB),
            nameof(BulkBenchmarks.MsgpackUnixDownload_64MiB) => ((Action)bench.StartMsgpackUnix, (Func<Task>)bench.MsgpackUnixDownload_64MiB),
            nameof(BulkBenchmarks.MsgpackUnixUpload_64MiB) => ((Action)bench.StartMsgpackUnix, (Func<Task>)bench.MsgpackUnixUpload_64MiB),
            nameof(BulkBenchmarks.GrpcUnixDownload_64MiB) => ((Action)bench.StartGrpcUnix, (Func<Task>)bench.GrpcUnixDownload_64MiB),
            nameof(BulkBenchmarks.GrpcUnixUpload_64MiB) => ((Action)bench.StartGrpcUnix, (Func<Task>)bench.GrpcUnixUpload_64MiB),
            _ => throw new ArgumentException($"--bulk-loop takes a Download or Upload row of BulkBenchmarks, not '{row}'."),
        };
        setup();
        try
        {
            Console.WriteLine($"parent pid {Environment.ProcessId}, sidecar pid {bench.SidecarPid}");
            var clock = Stopwatch.StartNew();
            long done = 0;
            TimeSpan report = TimeSpan.FromSeconds(1);
            while (clock.Elapsed < TimeSpan.FromSeconds(seconds))
            {
                await run();
                done += BulkBenchmarks.Size;
                if (clock.Elapsed >= report)
                {
                    Console.WriteLine($"{clock.Elapsed.TotalSeconds,5:F1} s  {done / (1024.0 * 1024) / clock.Elapsed.TotalSeconds,8:F0} MiB/s");
                    report += TimeSpan.FromSeconds(1);
                }
            }
        }
        finally
        {
            bench.Stop();
        }
    }

    private static async Task RunCallsAsync(string row, int seconds)
    {
        var bench = new GrpcBenchmarks();
        (Action setup, Func<Task> run) = row switch
        {
            nameof(GrpcBenchmarks.GrpcAdd_64) => ((Action)bench.StartDemoSidecar, (Func<Task>)bench.GrpcAdd_64),
            nameof(GrpcBenchmarks.GrpcDotnetAdd_64) => ((Action)bench.StartGrpcDotnet, (Func<Task>)bench.GrpcDotnetAdd_64),
            "GrpcProxyToPlain_64" => ((Action)bench.StartProxyToPlain, (Func<Task>)bench.GrpcAdd_64),
            "GrpcPlainToOurs_64" => ((Action)bench.StartPlainToOurs, (Func<Task>)bench.GrpcDotnetAdd_64),
            _ => throw new ArgumentException($"--bulk-loop takes GrpcAdd_64, GrpcDotnetAdd_64, GrpcProxyToPlain_64 or GrpcPlainToOurs_64, not '{row}'."),
        };
        setup();
        try
        {
            Console.WriteLine($"parent pid {Environment.ProcessId}, server pid {bench.ServerPid}");
            var clock = Stopwatch.StartNew();
            long done = 0;
            TimeSpan report = TimeSpan.FromSeconds(1);
            while (clock.Elapsed < TimeSpan.FromSeconds(seconds))
            {
                await run();
                done += StdioBenchmarks.Outstanding;
                if (clock.Elapsed >= report)
                {
                    Console.WriteLine($"{clock.Elapsed.TotalSeconds,5:F1} s  {done / clock.Elapsed.TotalSeconds,8:F0} calls/s");
                    report += TimeSpan.FromSeconds(1);
                }
            }
        }
        finally
        {
            bench.Stop();
        }
    }
}
