using BenchmarkDotNet.Attributes;
using SidecarKit.Processes;
using SidecarKit.Samples.Demo;
using SidecarKit.Tests.Support;
using SidecarKit.Transports.Grpc;

namespace SidecarKit.Benchmarks;

/// <summary>
/// Issue 18's figures: what TLS costs per call (typed <c>demo.add</c> over gRPC on loopback, h2c against TLS 1.3, one
/// and 64 outstanding, the same run), and what a pool of three demo sidecars behind one load-balanced channel
/// (<see cref="GrpcSidecarPool"/>) gives at 64 outstanding against a pool of one.
/// </summary>
[MemoryDiagnoser]
public class GrpcTlsBenchmarks
{
    private readonly Task[] _calls = new Task[StdioBenchmarks.Outstanding];
    private readonly List<SidecarProcess> _sidecars = [];
    private TestCertificates? _pki;
    private IDemo? _demo;
    private GrpcSidecarChannel? _pool;

    private static SidecarProcessOptions Options(string name, GrpcClientOptions? client, params string[] extra)
    {
        var options = new SidecarProcessOptions { Name = name, FileName = "dotnet", ReadyTimeout = TimeSpan.FromSeconds(30), RequireCallbacks = false }
            .UseGrpc(client);
        foreach (string a in new[] { ChildPaths.DemoSidecar, "--transport", "grpc" }.Concat(extra)) options.Arguments.Add(a);
        return options;
    }

    [GlobalSetup(Targets = [nameof(H2cAdd_1), nameof(H2cAdd_64)])]
    public void StartPlaintext()
    {
        _sidecars.Add(SidecarProcess.StartAsync(Options("demo-h2c", null)).GetAwaiter().GetResult());
        _demo = Workloads.Checked(_sidecars[0]);
    }

    [GlobalSetup(Targets = [nameof(TlsAdd_1), nameof(TlsAdd_64)])]
    public void StartTls()
    {
        _pki = new TestCertificates();
        var client = new GrpcClientOptions { Tls = new GrpcClientTlsOptions { CertificateAuthorities = _pki.Authorities } };
        _sidecars.Add(SidecarProcess.StartAsync(Options("demo-tls", client, "--tls-cert", _pki.Pem("server"), "--tls-key", _pki.Key("server")))
            .GetAwaiter().GetResult());
        _demo = Workloads.Checked(_sidecars[0]);
    }

    [GlobalSetup(Targets = [nameof(PoolOfOneAdd_64)])]
    public void StartPoolOfOne() => StartPool(1);

    [GlobalSetup(Targets = [nameof(PoolOfThreeAdd_64)])]
    public void StartPoolOfThree() => StartPool(3);

    private void StartPool(int size)
    {
        string token = Guid.NewGuid().ToString("N");
        for (int i = 0; i < size; i++)
        {
            SidecarProcessOptions options = Options("pool-" + i, null);
            options.Environment[SidecarProcess.TokenVariable] = token;
            _sidecars.Add(SidecarProcess.StartAsync(options).GetAwaiter().GetResult());
        }
        _pool = GrpcSidecarPool.Create([.. _sidecars.Select(s => s.ReadyInfo.ListenInfo!)], [Descriptor<IDemo>()], new GrpcClientOptions { Token = token });
        _demo = _pool.GetClient<IDemo>();
        if (_demo.AddAsync(1, 2).GetAwaiter().GetResult() != 3) throw new InvalidOperationException("The pool's demo.add(1, 2) is not 3.");
    }

    private static ContractDescriptor Descriptor<T>() where T : class, ISidecarContract<T> => T.Descriptor;

    [GlobalCleanup]
    public void Stop()
    {
        _pool?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        foreach (SidecarProcess sidecar in _sidecars) sidecar.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _sidecars.Clear();
        _pki?.Dispose();
        (_pki, _demo, _pool) = (null, null, null);
    }

    /// <summary><c>demo.add</c> over h2c, one outstanding; reported per call.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = StdioBenchmarks.Sequential)]
    public Task<int> H2cAdd_1() => Workloads.AddOneByOneAsync(_demo!);

    /// <summary><c>demo.add</c> over TLS, one outstanding; reported per call.</summary>
    [Benchmark(OperationsPerInvoke = StdioBenchmarks.Sequential)]
    public Task<int> TlsAdd_1() => Workloads.AddOneByOneAsync(_demo!);

    /// <summary>64 concurrent <c>demo.add</c> over h2c on one connection; reported per call.</summary>
    [Benchmark(OperationsPerInvoke = StdioBenchmarks.Outstanding)]
    public Task H2cAdd_64() => Workloads.AddConcurrentlyAsync(_demo!, _calls);

    /// <summary>64 concurrent <c>demo.add</c> over TLS on one connection; reported per call.</summary>
    [Benchmark(OperationsPerInvoke = StdioBenchmarks.Outstanding)]
    public Task TlsAdd_64() => Workloads.AddConcurrentlyAsync(_demo!, _calls);

    /// <summary>64 concurrent <c>demo.add</c> through a load-balanced channel to one sidecar; reported per call.</summary>
    [Benchmark(OperationsPerInvoke = StdioBenchmarks.Outstanding)]
    public Task PoolOfOneAdd_64() => Workloads.AddConcurrentlyAsync(_demo!, _calls);

    /// <summary>64 concurrent <c>demo.add</c> spread round robin over three sidecars; reported per call.</summary>
    [Benchmark(OperationsPerInvoke = StdioBenchmarks.Outstanding)]
    public Task PoolOfThreeAdd_64() => Workloads.AddConcurrentlyAsync(_demo!, _calls);
}
