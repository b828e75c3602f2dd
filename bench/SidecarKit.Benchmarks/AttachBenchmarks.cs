using BenchmarkDotNet.Attributes;
using SidecarKit.Processes;
using SidecarKit.Samples.Demo;
using SidecarKit.Transports.Grpc;

namespace SidecarKit.Benchmarks;

/// <summary>
/// What an <see cref="AttachedSidecar"/> (issue 18, item 2) adds per call: typed <c>demo.add</c> on one demo sidecar over
/// gRPC on loopback, through the channel of the process that started it against an attachment to the same sidecar
/// (its own connection, the liveness checks running), one and 64 outstanding, the same run.
/// </summary>
[MemoryDiagnoser]
public class AttachBenchmarks
{
    private readonly Task[] _calls = new Task[StdioBenchmarks.Outstanding];
    private SidecarProcess? _sidecar;
    private AttachedSidecar? _attached;
    private IDemo? _demo;

    private void Start()
    {
        var options = new SidecarProcessOptions { Name = "demo-attach", FileName = "dotnet", ReadyTimeout = TimeSpan.FromSeconds(30), RequireCallbacks = false }.UseGrpc();
        options.Environment[SidecarProcess.TokenVariable] = Token;
        foreach (string a in new[] { ChildPaths.DemoSidecar, "--transport", "grpc" }) options.Arguments.Add(a);
        _sidecar = SidecarProcess.StartAsync(options).GetAwaiter().GetResult();
    }

    private const string Token = "attach-benchmark-token";

    [GlobalSetup(Targets = [nameof(StartedAdd_1), nameof(StartedAdd_64)])]
    public void StartStarted()
    {
        Start();
        _demo = Workloads.Checked(_sidecar!);
    }

    [GlobalSetup(Targets = [nameof(AttachedAdd_1), nameof(AttachedAdd_64)])]
    public void StartAttached()
    {
        Start();
        _attached = AttachedSidecar.AttachAsync(new SidecarAttachOptions
        {
            Name = "demo-attach",
            Address = _sidecar!.ReadyInfo.ListenInfo!,
            Client = { Token = Token },
        }).GetAwaiter().GetResult();
        _demo = _attached.GetClient<IDemo>();
        if (_demo.AddAsync(1, 2).GetAwaiter().GetResult() != 3) throw new InvalidOperationException("The attachment's demo.add(1, 2) is not 3.");
    }

    [GlobalCleanup]
    public void Stop()
    {
        _attached?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _sidecar?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        (_attached, _sidecar, _demo) = (null, null, null);
    }

    /// <summary><c>demo.add</c> through the starting process's channel, one outstanding; reported per call.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = StdioBenchmarks.Sequential)]
    public Task<int> StartedAdd_1() => Workloads.AddOneByOneAsync(_demo!);

    /// <summary><c>demo.add</c> through an attachment, one outstanding; reported per call.</summary>
    [Benchmark(OperationsPerInvoke = StdioBenchmarks.Sequential)]
    public Task<int> AttachedAdd_1() => Workloads.AddOneByOneAsync(_demo!);

    /// <summary>64 concurrent <c>demo.add</c> through the starting process's channel; reported per call.</summary>
    [Benchmark(OperationsPerInvoke = StdioBenchmarks.Outstanding)]
    public Task StartedAdd_64() => Workloads.AddConcurrentlyAsync(_demo!, _calls);

    /// <summary>64 concurrent <c>demo.add</c> through an attachment; reported per call.</summary>
    [Benchmark(OperationsPerInvoke = StdioBenchmarks.Outstanding)]
    public Task AttachedAdd_64() => Workloads.AddConcurrentlyAsync(_demo!, _calls);
}
