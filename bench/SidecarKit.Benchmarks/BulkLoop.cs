using System.Diagnostics;

namespace SidecarKit.Benchmarks;

/// <summary>
/// One <see cref="BulkBenchmarks"/> row run over and over for a while, outside BenchmarkDotNet, so that a profiler can be
/// attached to both ends (<c>dotnet-trace collect -p &lt;pid&gt;</c>): prints the pids, then the rate each second.
/// </summary>
internal static class BulkLoop
{
    public static async Task RunAsync(string row, int seconds)
    {
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
}
