using BenchmarkDotNet.Attributes;
using SidecarKit.Benchmarks.Peers;
using SidecarKit.Processes;
using SidecarKit.Samples.Demo;

namespace SidecarKit.Benchmarks;

/// <summary>
/// Round trips over a Unix socket to a child process: the raw async floor (EchoChild --unix, hand-written) against
/// typed calls through the generated proxy to the demo sidecar speaking MessagePack-RPC (<c>--transport msgpack-unix</c>),
/// and the peer, StreamJsonRpc, serving and calling the same <c>demo.add</c> over a Unix socket (JSON and MessagePack).
/// </summary>
[MemoryDiagnoser]
public class UnixSocketBenchmarks
{
    private readonly Task[] _calls = new Task[StdioBenchmarks.Outstanding];
    private RawEchoClient? _raw;
    private SidecarProcess? _sidecar;
    private IDemo? _demo;
    private StreamJsonRpcPeer? _sjrJson, _sjrMsgpack;
    private IPeerDemo? _sjrJsonDemo, _sjrMsgpackDemo;

    [GlobalSetup(Targets = [nameof(RawUnixEcho_1), nameof(RawUnixEcho_64)])]
    public void StartEchoChild() => _raw = Workloads.Checked(RawEchoClient.StartUnixAsync().GetAwaiter().GetResult());

    [GlobalSetup(Targets = [nameof(MsgpackUnixAdd_1), nameof(MsgpackUnixAdd_64)])]
    public void StartDemoSidecar()
    {
        _sidecar = DemoSidecarStarter.StartMessagePackAsync(SidecarCarrier.UnixSocket).GetAwaiter().GetResult();
        _demo = Workloads.Checked(_sidecar);
    }

    [GlobalSetup(Targets = [nameof(SjrJsonUnixAdd_1), nameof(SjrJsonUnixAdd_64)])]
    public void StartStreamJsonRpcJson()
    {
        _sjrJson = StreamJsonRpcPeer.StartUnixAsync(PeerFormat.Json).GetAwaiter().GetResult();
        _sjrJsonDemo = Workloads.Checked(_sjrJson);
    }

    [GlobalSetup(Targets = [nameof(SjrMsgpackUnixAdd_1), nameof(SjrMsgpackUnixAdd_64)])]
    public void StartStreamJsonRpcMessagePack()
    {
        _sjrMsgpack = StreamJsonRpcPeer.StartUnixAsync(PeerFormat.MessagePack).GetAwaiter().GetResult();
        _sjrMsgpackDemo = Workloads.Checked(_sjrMsgpack);
    }

    /// <summary>The pid of the server a setup started (for <c>--bulk-loop</c>), or 0.</summary>
    internal int ServerPid => _sidecar?.ProcessId ?? _sjrJson?.ProcessId ?? _sjrMsgpack?.ProcessId ?? 0;

    [GlobalCleanup]
    public void Stop()
    {
        _raw?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _sidecar?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _sjrJson?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _sjrMsgpack?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        (_raw, _sidecar, _demo) = (null, null, null);
        (_sjrJson, _sjrMsgpack, _sjrJsonDemo, _sjrMsgpackDemo) = (null, null, null, null);
    }

    /// <summary>One 16-byte line to EchoChild over the socket and back; one outstanding; reported per round trip.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = StdioBenchmarks.Sequential)]
    public Task<int> RawUnixEcho_1() => Workloads.EchoOneByOneAsync(_raw!);

    /// <summary>64 lines in one write, then 64 read back; reported per line.</summary>
    [Benchmark(OperationsPerInvoke = StdioBenchmarks.Outstanding)]
    public Task<int> RawUnixEcho_64() => Workloads.EchoBurstAsync(_raw!);

    /// <summary><c>await demo.AddAsync(1, 2)</c> over MessagePack-RPC on the socket; one outstanding; reported per call.</summary>
    [Benchmark(OperationsPerInvoke = StdioBenchmarks.Sequential)]
    public Task<int> MsgpackUnixAdd_1() => Workloads.AddOneByOneAsync(_demo!);

    /// <summary>64 concurrent <c>demo.add</c> calls over MessagePack-RPC on the socket; reported per call.</summary>
    [Benchmark(OperationsPerInvoke = StdioBenchmarks.Outstanding)]
    public Task MsgpackUnixAdd_64() => Workloads.AddConcurrentlyAsync(_demo!, _calls);

    /// <summary>Peer: <c>demo.add</c> through StreamJsonRpc (SystemTextJsonFormatter, newline-delimited) on a Unix socket; one outstanding.</summary>
    [Benchmark(OperationsPerInvoke = StdioBenchmarks.Sequential)]
    public Task<int> SjrJsonUnixAdd_1() => Workloads.AddOneByOneAsync(_sjrJsonDemo!);

    /// <summary>Peer: 64 concurrent calls through StreamJsonRpc (JSON) on a Unix socket; reported per call.</summary>
    [Benchmark(OperationsPerInvoke = StdioBenchmarks.Outstanding)]
    public Task SjrJsonUnixAdd_64() => Workloads.AddConcurrentlyAsync(_sjrJsonDemo!, _calls);

    /// <summary>Peer: <c>demo.add</c> through StreamJsonRpc (MessagePackFormatter, length-header) on a Unix socket; one outstanding.</summary>
    [Benchmark(OperationsPerInvoke = StdioBenchmarks.Sequential)]
    public Task<int> SjrMsgpackUnixAdd_1() => Workloads.AddOneByOneAsync(_sjrMsgpackDemo!);

    /// <summary>Peer: 64 concurrent calls through StreamJsonRpc (MessagePack) on a Unix socket; reported per call.</summary>
    [Benchmark(OperationsPerInvoke = StdioBenchmarks.Outstanding)]
    public Task SjrMsgpackUnixAdd_64() => Workloads.AddConcurrentlyAsync(_sjrMsgpackDemo!, _calls);
}
