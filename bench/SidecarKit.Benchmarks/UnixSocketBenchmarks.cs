using BenchmarkDotNet.Attributes;
using SidecarKit.Processes;
using SidecarKit.Samples.Demo;

namespace SidecarKit.Benchmarks;

/// <summary>
/// Round trips over a Unix socket to a child process: the raw async floor (EchoChild --unix, hand-written) against
/// typed calls through the generated proxy to the demo sidecar speaking MessagePack-RPC (<c>--transport msgpack-unix</c>).
/// </summary>
[MemoryDiagnoser]
public class UnixSocketBenchmarks
{
    private static readonly byte[] s_line = "0123456789abcde\n"u8.ToArray();
    private static readonly byte[] s_lines = Enumerable.Repeat(s_line, StdioBenchmarks.Outstanding).SelectMany(l => l).ToArray();

    private readonly Task[] _calls = new Task[StdioBenchmarks.Outstanding];
    private RawEchoClient? _raw;
    private SidecarProcess? _sidecar;
    private IDemo? _demo;

    [GlobalSetup(Targets = [nameof(RawUnixEcho_1), nameof(RawUnixEcho_64)])]
    public void StartEchoChild()
    {
        _raw = RawEchoClient.StartUnixAsync().GetAwaiter().GetResult();
        _raw.WriteAsync(s_line).AsTask().GetAwaiter().GetResult();
        int bytes = _raw.ReadLinesAsync(1).AsTask().GetAwaiter().GetResult();
        if (bytes != s_line.Length) throw new InvalidOperationException($"EchoChild echoed {bytes} bytes, expected {s_line.Length}.");
    }

    [GlobalSetup(Targets = [nameof(MsgpackUnixAdd_1), nameof(MsgpackUnixAdd_64)])]
    public void StartDemoSidecar()
    {
        _sidecar = DemoSidecarStarter.StartMessagePackAsync(SidecarCarrier.UnixSocket).GetAwaiter().GetResult();
        _demo = _sidecar.GetClient<IDemo>();
        int sum = _demo.AddAsync(1, 2).GetAwaiter().GetResult();
        if (sum != 3) throw new InvalidOperationException($"demo.add(1, 2) returned {sum}.");
    }

    [GlobalCleanup]
    public void Stop()
    {
        _raw?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _raw = null;
        _sidecar?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _sidecar = null;
        _demo = null;
    }

    /// <summary>One 16-byte line to EchoChild over the socket and back; one outstanding; reported per round trip.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = StdioBenchmarks.Sequential)]
    public async Task<int> RawUnixEcho_1()
    {
        RawEchoClient raw = _raw!;
        int bytes = 0;
        for (int i = 0; i < StdioBenchmarks.Sequential; i++)
        {
            await raw.WriteAsync(s_line).ConfigureAwait(false);
            bytes += await raw.ReadLinesAsync(1).ConfigureAwait(false);
        }
        return bytes;
    }

    /// <summary>64 lines in one write, then 64 read back; reported per line.</summary>
    [Benchmark(OperationsPerInvoke = StdioBenchmarks.Outstanding)]
    public async Task<int> RawUnixEcho_64()
    {
        await _raw!.WriteAsync(s_lines).ConfigureAwait(false);
        return await _raw.ReadLinesAsync(StdioBenchmarks.Outstanding).ConfigureAwait(false);
    }

    /// <summary><c>await demo.AddAsync(1, 2)</c> over MessagePack-RPC on the socket; one outstanding; reported per call.</summary>
    [Benchmark(OperationsPerInvoke = StdioBenchmarks.Sequential)]
    public async Task<int> MsgpackUnixAdd_1()
    {
        IDemo demo = _demo!;
        int sum = 0;
        for (int i = 0; i < StdioBenchmarks.Sequential; i++)
            sum += await demo.AddAsync(1, 2).ConfigureAwait(false);
        return sum;
    }

    /// <summary>64 concurrent <c>demo.add</c> calls over MessagePack-RPC on the socket; reported per call.</summary>
    [Benchmark(OperationsPerInvoke = StdioBenchmarks.Outstanding)]
    public Task MsgpackUnixAdd_64()
    {
        IDemo demo = _demo!;
        Task[] calls = _calls;
        for (int i = 0; i < calls.Length; i++)
            calls[i] = demo.AddAsync(i, 1);
        return Task.WhenAll(calls);
    }
}
