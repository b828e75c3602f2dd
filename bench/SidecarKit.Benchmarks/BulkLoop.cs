using System.Diagnostics;

namespace SidecarKit.Benchmarks;

/// <summary>
/// One <see cref="BulkBenchmarks"/> row (a transfer, a stream of items, a ping-pong, an HTTP/2 floor) or a demo.add row of
/// <see cref="GrpcBenchmarks"/>, <see cref="StdioBenchmarks"/> or <see cref="UnixSocketBenchmarks"/> (ours or a peer's, _1
/// or _64) run over and over for a while, outside BenchmarkDotNet, so that a profiler can be attached to both ends (<c>dotnet-trace collect -p
/// &lt;pid&gt;</c>, <c>perf record -p</c>) or their CPU time read from <c>/proc</c>: prints the pids, then the rate
/// each second (a running average since the start). Besides <c>GrpcAdd</c> and <c>GrpcDotnetAdd</c>, two crossed pairs
/// tell the client's cost from the server's: <c>GrpcProxyToPlain</c> (our generated proxy calling the plain grpc-dotnet
/// server) and <c>GrpcPlainToOurs</c> (the protoc-generated client calling the demo sidecar); each as <c>_1</c> or <c>_64</c>.
/// </summary>
internal static class BulkLoop
{
    public static Task RunAsync(string row, int seconds)
    {
        Row[] rows = Rows().ToArray();
        Row found = rows.FirstOrDefault(r => r.Name == row)
            ?? throw new ArgumentException($"--bulk-loop takes one of {string.Join(", ", rows.Select(r => r.Name))}; not '{row}'.");
        return LoopAsync(found.Setup, found.Run, found.Stop, found.ServerPid, seconds, found.PerRun, found.Unit);
    }

    /// <summary>A row that can run in a loop: how to start it, one operation, how to stop it, and what one operation is worth.</summary>
    private sealed record Row(string Name, Action Setup, Func<Task> Run, Action Stop, Func<int> ServerPid, double PerRun, string Unit);

    private static IEnumerable<Row> Rows()
    {
        var grpc = new GrpcBenchmarks();
        var stdio = new StdioBenchmarks();
        var unix = new UnixSocketBenchmarks();
        foreach (bool one in new[] { true, false })
        {
            // demo.add, one outstanding (16 in a row per operation) or 64 at once.
            Row Calls(string name, Action setup, Func<Task> one1, Func<Task> many, Action stop, Func<int> pid)
                => new(name + (one ? "_1" : "_64"), setup, one ? one1 : many, stop, pid,
                    one ? StdioBenchmarks.Sequential : StdioBenchmarks.Outstanding, "calls/s");
            yield return Calls("GrpcAdd", grpc.StartDemoSidecar, grpc.GrpcAdd_1, grpc.GrpcAdd_64, grpc.Stop, () => grpc.ServerPid);
            yield return Calls("GrpcDotnetAdd", grpc.StartGrpcDotnet, grpc.GrpcDotnetAdd_1, grpc.GrpcDotnetAdd_64, grpc.Stop, () => grpc.ServerPid);
            yield return Calls("GrpcProxyToPlain", grpc.StartProxyToPlain, grpc.GrpcAdd_1, grpc.GrpcAdd_64, grpc.Stop, () => grpc.ServerPid);
            yield return Calls("GrpcPlainToOurs", grpc.StartPlainToOurs, grpc.GrpcDotnetAdd_1, grpc.GrpcDotnetAdd_64, grpc.Stop, () => grpc.ServerPid);
            yield return Calls("TypedAdd", stdio.StartDemoSidecar, stdio.TypedAdd_1, stdio.TypedAdd_64, stdio.Stop, () => stdio.ServerPid);
            yield return Calls("MsgpackStdioAdd", stdio.StartMessagePackSidecar, stdio.MsgpackStdioAdd_1, stdio.MsgpackStdioAdd_64, stdio.Stop, () => stdio.ServerPid);
            yield return Calls("SjrJsonStdioAdd", stdio.StartStreamJsonRpcJson, stdio.SjrJsonStdioAdd_1, stdio.SjrJsonStdioAdd_64, stdio.Stop, () => stdio.ServerPid);
            yield return Calls("SjrMsgpackStdioAdd", stdio.StartStreamJsonRpcMessagePack, stdio.SjrMsgpackStdioAdd_1, stdio.SjrMsgpackStdioAdd_64, stdio.Stop, () => stdio.ServerPid);
            yield return Calls("MsgpackUnixAdd", unix.StartDemoSidecar, unix.MsgpackUnixAdd_1, unix.MsgpackUnixAdd_64, unix.Stop, () => unix.ServerPid);
            yield return Calls("SjrJsonUnixAdd", unix.StartStreamJsonRpcJson, unix.SjrJsonUnixAdd_1, unix.SjrJsonUnixAdd_64, unix.Stop, () => unix.ServerPid);
            yield return Calls("SjrMsgpackUnixAdd", unix.StartStreamJsonRpcMessagePack, unix.SjrMsgpackUnixAdd_1, unix.SjrMsgpackUnixAdd_64, unix.Stop, () => unix.ServerPid);
        }

        var bulk = new BulkBenchmarks();
        Row Bulk(string name, Action setup, Func<Task> run, double perRun, string unit) => new(name, setup, run, bulk.Stop, () => bulk.ServerPid, perRun, unit);
        const double mib = BulkBenchmarks.Size / (1024.0 * 1024);
        yield return Bulk(nameof(BulkBenchmarks.JsonlDownload_64MiB), bulk.StartJsonl, bulk.JsonlDownload_64MiB, mib, "MiB/s");
        yield return Bulk(nameof(BulkBenchmarks.JsonlUpload_64MiB), bulk.StartJsonl, bulk.JsonlUpload_64MiB, mib, "MiB/s");
        yield return Bulk(nameof(BulkBenchmarks.MsgpackUnixDownload_64MiB), bulk.StartMsgpackUnix, bulk.MsgpackUnixDownload_64MiB, mib, "MiB/s");
        yield return Bulk(nameof(BulkBenchmarks.MsgpackUnixUpload_64MiB), bulk.StartMsgpackUnix, bulk.MsgpackUnixUpload_64MiB, mib, "MiB/s");
        // The floors, to be compared with a row in the same hour.
        yield return Bulk(nameof(BulkBenchmarks.RawStdioDown_64MiB), bulk.StartRawStdio, bulk.RawStdioDown_64MiB, mib, "MiB/s");
        yield return Bulk(nameof(BulkBenchmarks.RawStdioUp_64MiB), bulk.StartRawStdio, bulk.RawStdioUp_64MiB, mib, "MiB/s");
        yield return Bulk(nameof(BulkBenchmarks.RawUnixDown_64MiB), bulk.StartRawUnix, bulk.RawUnixDown_64MiB, mib, "MiB/s");
        yield return Bulk(nameof(BulkBenchmarks.RawUnixUp_64MiB), bulk.StartRawUnix, bulk.RawUnixUp_64MiB, mib, "MiB/s");
        yield return Bulk(nameof(BulkBenchmarks.JsonlUploadUnhashed_64MiB), bulk.StartJsonlUnhashed, bulk.JsonlUploadUnhashed_64MiB, mib, "MiB/s");
        yield return Bulk(nameof(BulkBenchmarks.MsgpackUnixUploadUnhashed_64MiB), bulk.StartMsgpackUnixUnhashed, bulk.MsgpackUnixUploadUnhashed_64MiB, mib, "MiB/s");
        yield return Bulk(nameof(BulkBenchmarks.GrpcUnixUploadUnhashed_64MiB), bulk.StartGrpcUnixUnhashed, bulk.GrpcUnixUploadUnhashed_64MiB, mib, "MiB/s");
        yield return Bulk(nameof(BulkBenchmarks.GrpcUnixDownload_64MiB), bulk.StartGrpcUnix, bulk.GrpcUnixDownload_64MiB, mib, "MiB/s");
        yield return Bulk(nameof(BulkBenchmarks.GrpcUnixUpload_64MiB), bulk.StartGrpcUnix, bulk.GrpcUnixUpload_64MiB, mib, "MiB/s");
        yield return Bulk(nameof(BulkBenchmarks.RawHttp2UnixDown_64MiB), bulk.StartRawHttp2, bulk.RawHttp2UnixDown_64MiB, mib, "MiB/s");
        yield return Bulk(nameof(BulkBenchmarks.RawHttp2UnixUp_64MiB), bulk.StartRawHttp2, bulk.RawHttp2UnixUp_64MiB, mib, "MiB/s");
        yield return Bulk(nameof(BulkBenchmarks.RawHttp2UnixUpHashed_64MiB), bulk.StartRawHttp2, bulk.RawHttp2UnixUpHashed_64MiB, mib, "MiB/s");
        yield return Bulk(nameof(BulkBenchmarks.JsonlCount_10k), bulk.StartJsonl, bulk.JsonlCount_10k, BulkBenchmarks.Items, "items/s");
        yield return Bulk(nameof(BulkBenchmarks.JsonlSum_10k), bulk.StartJsonl, bulk.JsonlSum_10k, BulkBenchmarks.Items, "items/s");
        yield return Bulk(nameof(BulkBenchmarks.MsgpackUnixCount_10k), bulk.StartMsgpackUnix, bulk.MsgpackUnixCount_10k, BulkBenchmarks.Items, "items/s");
        yield return Bulk(nameof(BulkBenchmarks.MsgpackUnixSum_10k), bulk.StartMsgpackUnix, bulk.MsgpackUnixSum_10k, BulkBenchmarks.Items, "items/s");
        yield return Bulk(nameof(BulkBenchmarks.GrpcUnixCount_10k), bulk.StartGrpcUnix, bulk.GrpcUnixCount_10k, BulkBenchmarks.Items, "items/s");
        yield return Bulk(nameof(BulkBenchmarks.GrpcUnixSum_10k), bulk.StartGrpcUnix, bulk.GrpcUnixSum_10k, BulkBenchmarks.Items, "items/s");
        yield return Bulk(nameof(BulkBenchmarks.JsonlChat_1k), bulk.StartJsonl, bulk.JsonlChat_1k, BulkBenchmarks.PingPongs, "round trips/s");
        yield return Bulk(nameof(BulkBenchmarks.MsgpackUnixChat_1k), bulk.StartMsgpackUnix, bulk.MsgpackUnixChat_1k, BulkBenchmarks.PingPongs, "round trips/s");
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
