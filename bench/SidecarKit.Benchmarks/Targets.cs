using BenchmarkDotNet.Reports;

namespace SidecarKit.Benchmarks;

/// <summary>Checks the run against the performance targets (docs/performance.md) and prints the verdicts.</summary>
internal static class Targets
{
    public static void Print(IEnumerable<BenchmarkReport> reports)
    {
        Dictionary<string, BenchmarkReport> byName = reports
            .Where(r => r.ResultStatistics is not null)
            .ToDictionary(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name);
        double? Median(string name) => byName.TryGetValue(name, out var r) ? r.ResultStatistics!.Median / 1000.0 : null; // ns → µs
        long? Bytes(string name) => byName.TryGetValue(name, out var r) ? r.GcStats.GetBytesAllocatedPerOperation(r.BenchmarkCase) : null;

        Console.WriteLine();
        Console.WriteLine("// * Targets (docs/performance.md) *");
        double? floor = Median(nameof(StdioBenchmarks.RawStdioEcho_1));
        double? typed = Median(nameof(StdioBenchmarks.TypedAdd_1));
        if (floor is { } f && typed is { } t)
            Report($"typed demo.add median ≤ 2× raw stdio floor: {t:0.00} µs vs {f:0.00} µs = {t / f:0.00}×", t / f <= 2.0);
        if (Median(nameof(StdioBenchmarks.TypedAdd_64)) is { } t64)
            Report($"≥ 100k calls/s with 64 outstanding (≤ 10 µs/call): {t64:0.00} µs/call = {1e6 / t64:N0} calls/s", t64 <= 10.0);
        double? unixFloor = Median(nameof(UnixSocketBenchmarks.RawUnixEcho_1));
        double? unixTyped = Median(nameof(UnixSocketBenchmarks.MsgpackUnixAdd_1));
        if (unixFloor is { } uf && unixTyped is { } ut)
            Report($"MessagePack demo.add on a Unix socket median ≤ 1.5× raw async Unix socket floor: {ut:0.00} µs vs {uf:0.00} µs = {ut / uf:0.00}×", ut / uf <= 1.5);
        if (Median(nameof(UnixSocketBenchmarks.MsgpackUnixAdd_64)) is { } u64)
            Report($"≥ 200k calls/s with 64 outstanding on a Unix socket (≤ 5 µs/call): {u64:0.00} µs/call = {1e6 / u64:N0} calls/s", u64 <= 5.0);
        double? grpcFloor = Median(nameof(GrpcBenchmarks.RawGrpcEcho_1));
        double? grpcTyped = Median(nameof(GrpcBenchmarks.GrpcAdd_1));
        if (grpcFloor is { } gf && grpcTyped is { } gt)
            Report($"typed gRPC demo.add median ≤ 1.1× raw h2c echo on the same stack: {gt:0.00} µs vs {gf:0.00} µs = {gt / gf:0.00}×", gt / gf <= 1.1);
        if (Median(nameof(GrpcBenchmarks.GrpcAdd_64)) is { } g64)
            Report($"≥ 50k gRPC calls/s with 64 concurrent on one connection (≤ 20 µs/call): {g64:0.00} µs/call = {1e6 / g64:N0} calls/s", g64 <= 20.0);
        foreach (string name in new[] { nameof(StdioBenchmarks.TypedAdd_1), nameof(StdioBenchmarks.TypedAdd_64),
                     nameof(UnixSocketBenchmarks.MsgpackUnixAdd_1), nameof(UnixSocketBenchmarks.MsgpackUnixAdd_64) })
        {
            if (Bytes(name) is { } b)
                Report($"≤ 1 KB allocated per call ({name}, this process): {b} B", b <= 1024);
        }
    }

    private static void Report(string text, bool met) => Console.WriteLine($"  {(met ? "MET    " : "NOT MET")}  {text}");
}
