using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using SidecarKit.Diagnostics;
using SidecarKit.Processes;
using SidecarKit.Samples.Demo;

namespace SidecarKit.Benchmarks;

/// <summary>
/// What traces and metrics cost a typed call (<c>demo.add</c> over JSON lines on stdio): with nothing listening (the
/// same as StdioBenchmarks' TypedAdd rows), and with the OpenTelemetry SDK sampling every call (AlwaysOn, spans handed
/// to a processor that drops them, the call metrics aggregated). The parent's side only: the sidecar has no listener.
/// </summary>
[MemoryDiagnoser]
public class TelemetryBenchmarks
{
    private readonly Task[] _calls = new Task[StdioBenchmarks.Outstanding];
    private SidecarProcess? _sidecar;
    private IDemo? _demo;
    private TracerProvider? _tracer;
    private MeterProvider? _meter;

    [GlobalSetup(Targets = [nameof(Untraced_1), nameof(Untraced_64)])]
    public void Start() => (_sidecar, _demo) = StartDemo();

    [GlobalSetup(Targets = [nameof(Traced_1), nameof(Traced_64)])]
    public void StartTraced()
    {
        _tracer = Sdk.CreateTracerProviderBuilder().AddSource(SidecarTelemetry.ActivitySourceName)
            .SetSampler(new AlwaysOnSampler()).AddProcessor(new Dropping()).Build();
        _meter = Sdk.CreateMeterProviderBuilder().AddMeter(SidecarTelemetry.MeterName).Build();
        (_sidecar, _demo) = StartDemo();
    }

    private static (SidecarProcess, IDemo) StartDemo()
    {
        SidecarProcess sidecar = DemoSidecarStarter.StartAsync().GetAwaiter().GetResult();
        return (sidecar, Workloads.Checked(sidecar));
    }

    [GlobalCleanup]
    public void Stop()
    {
        _sidecar?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _tracer?.Dispose();
        _meter?.Dispose();
        (_sidecar, _demo, _tracer, _meter) = (null, null, null, null);
    }

    /// <summary><c>await demo.AddAsync(1, 2)</c>, nothing listening; one outstanding; per call.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = StdioBenchmarks.Sequential)]
    public Task<int> Untraced_1() => Workloads.AddOneByOneAsync(_demo!);

    /// <summary>The same with every call traced and measured.</summary>
    [Benchmark(OperationsPerInvoke = StdioBenchmarks.Sequential)]
    public Task<int> Traced_1() => Workloads.AddOneByOneAsync(_demo!);

    /// <summary>64 concurrent calls, nothing listening; per call.</summary>
    [Benchmark(OperationsPerInvoke = StdioBenchmarks.Outstanding)]
    public Task Untraced_64() => Workloads.AddConcurrentlyAsync(_demo!, _calls);

    /// <summary>64 concurrent calls, every one traced and measured; per call.</summary>
    [Benchmark(OperationsPerInvoke = StdioBenchmarks.Outstanding)]
    public Task Traced_64() => Workloads.AddConcurrentlyAsync(_demo!, _calls);

    // Spans are recorded (sampled, tagged, ended) and dropped: the cost measured is the instrumentation's, not an exporter's.
    private sealed class Dropping : BaseProcessor<Activity>;
}
