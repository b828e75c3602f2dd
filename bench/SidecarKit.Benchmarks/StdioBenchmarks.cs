using BenchmarkDotNet.Attributes;
using SidecarKit.Benchmarks.Peers;
using SidecarKit.Processes;
using SidecarKit.Samples.Demo;

namespace SidecarKit.Benchmarks;

/// <summary>
/// Round trips over stdio pipes to a child process: the raw floor (EchoChild, hand-written) against typed calls
/// through the generated proxy to the real demo sidecar, over JSON-RPC 2.0 (JSON lines) and MessagePack-RPC; and the
/// peer, StreamJsonRpc, serving and calling the same <c>demo.add</c> over the same kind of pipes (JSON and MessagePack).
/// </summary>
[MemoryDiagnoser]
public class StdioBenchmarks
{
    public const int Outstanding = 64;

    /// <summary>
    /// The one-outstanding rows make this many round trips, one after the other, per invocation. BenchmarkDotNet waits
    /// for a returned task by blocking its thread (AwaitHelper.GetResult), which costs a thread wake-up per invocation;
    /// spread over 16 sequential awaits it no longer hides the difference between the floor and a typed call.
    /// </summary>
    public const int Sequential = 16;

    private readonly Task[] _calls = new Task[Outstanding];
    private RawEchoClient? _raw;
    private SidecarProcess? _sidecar, _msgpackSidecar;
    private IDemo? _demo, _msgpackDemo;
    private StreamJsonRpcPeer? _sjrJson, _sjrMsgpack;
    private IPeerDemo? _sjrJsonDemo, _sjrMsgpackDemo;

    [GlobalSetup(Targets = [nameof(RawStdioEcho_1), nameof(RawStdioEcho_64)])]
    public void StartEchoChild() => _raw = Workloads.Checked(RawEchoClient.Start());

    [GlobalSetup(Targets = [nameof(TypedAdd_1), nameof(TypedAdd_64)])]
    public void StartDemoSidecar()
    {
        _sidecar = DemoSidecarStarter.StartAsync().GetAwaiter().GetResult();
        _demo = Workloads.Checked(_sidecar);
    }

    [GlobalSetup(Targets = [nameof(MsgpackStdioAdd_1), nameof(MsgpackStdioAdd_64)])]
    public void StartMessagePackSidecar()
    {
        _msgpackSidecar = DemoSidecarStarter.StartMessagePackAsync(SidecarCarrier.Stdio).GetAwaiter().GetResult();
        _msgpackDemo = Workloads.Checked(_msgpackSidecar);
    }

    [GlobalSetup(Targets = [nameof(SjrJsonStdioAdd_1), nameof(SjrJsonStdioAdd_64)])]
    public void StartStreamJsonRpcJson()
    {
        _sjrJson = StreamJsonRpcPeer.StartStdio(PeerFormat.Json);
        _sjrJsonDemo = Workloads.Checked(_sjrJson);
    }

    [GlobalSetup(Targets = [nameof(SjrMsgpackStdioAdd_1), nameof(SjrMsgpackStdioAdd_64)])]
    public void StartStreamJsonRpcMessagePack()
    {
        _sjrMsgpack = StreamJsonRpcPeer.StartStdio(PeerFormat.MessagePack);
        _sjrMsgpackDemo = Workloads.Checked(_sjrMsgpack);
    }

    /// <summary>The pid of the server a setup started (for <c>--bulk-loop</c>), or 0.</summary>
    internal int ServerPid => _sidecar?.ProcessId ?? _msgpackSidecar?.ProcessId ?? _sjrJson?.ProcessId ?? _sjrMsgpack?.ProcessId ?? 0;

    [GlobalCleanup]
    public void Stop()
    {
        _raw?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _sidecar?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _msgpackSidecar?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _sjrJson?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _sjrMsgpack?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        (_raw, _sidecar, _msgpackSidecar, _demo, _msgpackDemo) = (null, null, null, null, null);
        (_sjrJson, _sjrMsgpack, _sjrJsonDemo, _sjrMsgpackDemo) = (null, null, null, null);
    }

    /// <summary>One 16-byte line to EchoChild and back; one outstanding; reported per round trip.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Sequential)]
    public Task<int> RawStdioEcho_1() => Workloads.EchoOneByOneAsync(_raw!);

    /// <summary>64 lines written in one write, then 64 read back; reported per line.</summary>
    [Benchmark(OperationsPerInvoke = Outstanding)]
    public Task<int> RawStdioEcho_64() => Workloads.EchoBurstAsync(_raw!);

    /// <summary><c>await demo.AddAsync(1, 2)</c> through the generated proxy (JSON lines); one outstanding; per call.</summary>
    [Benchmark(OperationsPerInvoke = Sequential)]
    public Task<int> TypedAdd_1() => Workloads.AddOneByOneAsync(_demo!);

    /// <summary>64 concurrent <c>demo.add</c> calls (JSON lines) awaited together; reported per call.</summary>
    [Benchmark(OperationsPerInvoke = Outstanding)]
    public Task TypedAdd_64() => Workloads.AddConcurrentlyAsync(_demo!, _calls);

    /// <summary><c>await demo.AddAsync(1, 2)</c> over MessagePack-RPC on stdio; one outstanding; reported per call.</summary>
    [Benchmark(OperationsPerInvoke = Sequential)]
    public Task<int> MsgpackStdioAdd_1() => Workloads.AddOneByOneAsync(_msgpackDemo!);

    /// <summary>64 concurrent <c>demo.add</c> calls over MessagePack-RPC on stdio; reported per call.</summary>
    [Benchmark(OperationsPerInvoke = Outstanding)]
    public Task MsgpackStdioAdd_64() => Workloads.AddConcurrentlyAsync(_msgpackDemo!, _calls);

    /// <summary>Peer: <c>demo.add</c> through StreamJsonRpc (SystemTextJsonFormatter, newline-delimited) on stdio; one outstanding.</summary>
    [Benchmark(OperationsPerInvoke = Sequential)]
    public Task<int> SjrJsonStdioAdd_1() => Workloads.AddOneByOneAsync(_sjrJsonDemo!);

    /// <summary>Peer: 64 concurrent calls through StreamJsonRpc (JSON) on stdio; reported per call.</summary>
    [Benchmark(OperationsPerInvoke = Outstanding)]
    public Task SjrJsonStdioAdd_64() => Workloads.AddConcurrentlyAsync(_sjrJsonDemo!, _calls);

    /// <summary>Peer: <c>demo.add</c> through StreamJsonRpc (MessagePackFormatter, length-header) on stdio; one outstanding.</summary>
    [Benchmark(OperationsPerInvoke = Sequential)]
    public Task<int> SjrMsgpackStdioAdd_1() => Workloads.AddOneByOneAsync(_sjrMsgpackDemo!);

    /// <summary>Peer: 64 concurrent calls through StreamJsonRpc (MessagePack) on stdio; reported per call.</summary>
    [Benchmark(OperationsPerInvoke = Outstanding)]
    public Task SjrMsgpackStdioAdd_64() => Workloads.AddConcurrentlyAsync(_sjrMsgpackDemo!, _calls);
}
