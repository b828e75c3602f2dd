using System.Text;
using BenchmarkDotNet.Attributes;
using SidecarKit.Processes;
using SidecarKit.Samples.Demo;

namespace SidecarKit.Benchmarks;

/// <summary>
/// Round trips over stdio pipes to a child process: the raw floor (EchoChild, hand-written) against typed calls
/// through the generated proxy to the real demo sidecar (JSON-RPC 2.0 over JSON lines).
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

    // 15 bytes + '\n' = the 16-byte message of the measured floors in DESIGN.md.
    private static readonly byte[] s_line = "0123456789abcde\n"u8.ToArray();
    private static readonly byte[] s_lines = Enumerable.Repeat(s_line, Outstanding).SelectMany(l => l).ToArray();

    private readonly Task[] _calls = new Task[Outstanding];
    private RawEchoClient? _raw;
    private SidecarProcess? _sidecar;
    private IDemo? _demo;
    private SidecarProcess? _msgpackSidecar;
    private IDemo? _msgpackDemo;

    [GlobalSetup(Targets = [nameof(RawStdioEcho_1), nameof(RawStdioEcho_64)])]
    public void StartEchoChild()
    {
        _raw = RawEchoClient.Start();
        // Prove the pipe works before timing it.
        _raw.WriteAsync(s_line).AsTask().GetAwaiter().GetResult();
        int bytes = _raw.ReadLinesAsync(1).AsTask().GetAwaiter().GetResult();
        if (bytes != s_line.Length) throw new InvalidOperationException($"EchoChild echoed {bytes} bytes, expected {s_line.Length}.");
    }

    [GlobalSetup(Targets = [nameof(TypedAdd_1), nameof(TypedAdd_64)])]
    public void StartDemoSidecar()
    {
        _sidecar = DemoSidecarStarter.StartAsync().GetAwaiter().GetResult();
        _demo = _sidecar.GetClient<IDemo>();
        int sum = _demo.AddAsync(1, 2).GetAwaiter().GetResult();
        if (sum != 3) throw new InvalidOperationException($"demo.add(1, 2) returned {sum}.");
    }

    [GlobalSetup(Targets = [nameof(MsgpackStdioAdd_1), nameof(MsgpackStdioAdd_64)])]
    public void StartMessagePackSidecar()
    {
        _msgpackSidecar = DemoSidecarStarter.StartMessagePackAsync(SidecarCarrier.Stdio).GetAwaiter().GetResult();
        _msgpackDemo = _msgpackSidecar.GetClient<IDemo>();
        int sum = _msgpackDemo.AddAsync(1, 2).GetAwaiter().GetResult();
        if (sum != 3) throw new InvalidOperationException($"demo.add(1, 2) returned {sum}.");
    }

    [GlobalCleanup]
    public void Stop()
    {
        _msgpackSidecar?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _msgpackSidecar = null;
        _msgpackDemo = null;
        if (_raw is not null)
        {
            _raw.DisposeAsync().AsTask().GetAwaiter().GetResult();
            _raw = null;
        }
        if (_sidecar is not null)
        {
            _sidecar.DisposeAsync().AsTask().GetAwaiter().GetResult();
            _sidecar = null;
            _demo = null;
        }
    }

    /// <summary>One 16-byte line to EchoChild and back; one outstanding; reported per round trip.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Sequential)]
    public async Task<int> RawStdioEcho_1()
    {
        RawEchoClient raw = _raw!;
        int bytes = 0;
        for (int i = 0; i < Sequential; i++)
        {
            await raw.WriteAsync(s_line).ConfigureAwait(false);
            bytes += await raw.ReadLinesAsync(1).ConfigureAwait(false);
        }
        return bytes;
    }

    /// <summary>64 lines written in one write, then 64 read back; reported per line.</summary>
    [Benchmark(OperationsPerInvoke = Outstanding)]
    public async Task<int> RawStdioEcho_64()
    {
        await _raw!.WriteAsync(s_lines).ConfigureAwait(false);
        return await _raw.ReadLinesAsync(Outstanding).ConfigureAwait(false);
    }

    /// <summary><c>await demo.AddAsync(1, 2)</c> through the generated proxy; one outstanding; reported per call.</summary>
    [Benchmark(OperationsPerInvoke = Sequential)]
    public async Task<int> TypedAdd_1()
    {
        IDemo demo = _demo!;
        int sum = 0;
        for (int i = 0; i < Sequential; i++)
            sum += await demo.AddAsync(1, 2).ConfigureAwait(false);
        return sum;
    }

    /// <summary>64 concurrent <c>demo.add</c> calls awaited together; reported per call.</summary>
    [Benchmark(OperationsPerInvoke = Outstanding)]
    public Task TypedAdd_64()
    {
        IDemo demo = _demo!;
        Task[] calls = _calls;
        for (int i = 0; i < calls.Length; i++)
            calls[i] = demo.AddAsync(i, 1);
        return Task.WhenAll(calls);
    }

    /// <summary><c>await demo.AddAsync(1, 2)</c> over MessagePack-RPC on stdio; one outstanding; reported per call.</summary>
    [Benchmark(OperationsPerInvoke = Sequential)]
    public async Task<int> MsgpackStdioAdd_1()
    {
        IDemo demo = _msgpackDemo!;
        int sum = 0;
        for (int i = 0; i < Sequential; i++)
            sum += await demo.AddAsync(1, 2).ConfigureAwait(false);
        return sum;
    }

    /// <summary>64 concurrent <c>demo.add</c> calls over MessagePack-RPC on stdio; reported per call.</summary>
    [Benchmark(OperationsPerInvoke = Outstanding)]
    public Task MsgpackStdioAdd_64()
    {
        IDemo demo = _msgpackDemo!;
        Task[] calls = _calls;
        for (int i = 0; i < calls.Length; i++)
            calls[i] = demo.AddAsync(i, 1);
        return Task.WhenAll(calls);
    }
}
