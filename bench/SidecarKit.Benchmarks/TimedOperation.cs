using System.Diagnostics;

namespace SidecarKit.Benchmarks;

/// <summary>
/// One operation of the Stopwatch loops (<c>--quick</c>, <c>--peers</c>), timed round after round: wall time and
/// latency per call, bytes allocated in this process, CPU time in this process and in the child that serves it, and
/// thread-pool work items (each one a hand-off between threads). <paramref name="perInvoke"/> calls per invoke.
/// </summary>
internal sealed class TimedOperation(string name, int perInvoke, Process child, Func<Task> invoke)
{
    private readonly List<double> _latencies = []; // µs per call, one entry per invoke
    private double _elapsedUs, _parentCpuUs, _childCpuUs;
    private long _bytes, _workItems, _ops;

    /// <summary>The column headings of <see cref="Summary"/>.</summary>
    public static string Header =>
        $"{"operation",-20} {"calls",8} {"µs/call",8} {"p50 µs",7} {"p90 µs",7} {"p99 µs",7} {"B/call",7} {"parent CPU µs",13} {"child CPU µs",12} {"calls/s",9} {"pool items",10}";

    public string Name => name;
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

    /// <summary>Latency per call over all rounds at <paramref name="p"/> (0..1), µs.</summary>
    public double Percentile(double p)
    {
        _latencies.Sort();
        return _latencies[(int)Math.Min(_latencies.Count - 1, p * _latencies.Count)];
    }

    /// <summary>Bytes allocated in this process per call over all rounds.</summary>
    public double BytesPerCall => (double)_bytes / _ops;

    /// <summary>Calls per second of wall time over all rounds.</summary>
    public double CallsPerSecond => _ops / (_elapsedUs / 1e6);

    public string Summary() =>
        $"{name,-20} {_ops,8} {_elapsedUs / _ops,8:0.00} {Percentile(0.5),7:0.00} {Percentile(0.9),7:0.00} {Percentile(0.99),7:0.00} " +
        $"{BytesPerCall,7:0} {_parentCpuUs / _ops,13:0.00} {_childCpuUs / _ops,12:0.00} {CallsPerSecond,9:0} {(double)_workItems / _ops,10:0.00}";
}
