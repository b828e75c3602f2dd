using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using BenchmarkDotNet.Attributes;
using SidecarKit.Benchmarks.Peers;
using SidecarKit.Processes;
using SidecarKit.Samples.Demo;

namespace SidecarKit.Benchmarks;

/// <summary>
/// gRPC over h2c on loopback TCP, both ends on the same stack (Kestrel serving, <see cref="HttpClient"/> calling): a
/// hand-written echo (EchoChild --grpc: the request message comes back, no protobuf, no routing) against typed
/// <c>demo.add</c> through the generated proxy to the demo sidecar (<c>--transport grpc</c>); and the peer, a plain
/// grpc-dotnet service with protoc-generated messages (PeerChild grpc) called through Grpc.Net.Client's generated client.
/// </summary>
[MemoryDiagnoser]
public class GrpcBenchmarks
{
    private readonly Task[] _calls = new Task[StdioBenchmarks.Outstanding];
    private RawGrpcClient? _raw;
    private SidecarProcess? _sidecar;
    private IDemo? _demo;
    private GrpcDotnetPeer? _plain;
    private Peers.Plain.Demo.DemoClient? _plainClient;

    /// <summary>The pid of the server a setup started (for <c>--bulk-loop</c>).</summary>
    internal int ServerPid => _sidecar?.ProcessId ?? _plain?.ProcessId ?? 0;

    [GlobalSetup(Targets = [nameof(RawGrpcEcho_1), nameof(RawGrpcEcho_64)])]
    public void StartEchoChild()
    {
        _raw = RawGrpcClient.StartAsync().GetAwaiter().GetResult();
        int bytes = _raw.CallAsync().GetAwaiter().GetResult();
        if (bytes != RawGrpcClient.Message.Length) throw new InvalidOperationException($"The gRPC echo returned {bytes} bytes.");
    }

    [GlobalSetup(Targets = [nameof(GrpcAdd_1), nameof(GrpcAdd_64)])]
    public void StartDemoSidecar()
    {
        _sidecar = DemoSidecarStarter.StartGrpcAsync().GetAwaiter().GetResult();
        _demo = Workloads.Checked(_sidecar);
    }

    [GlobalSetup(Targets = [nameof(GrpcDotnetAdd_1), nameof(GrpcDotnetAdd_64)])]
    public void StartGrpcDotnet()
    {
        _plain = GrpcDotnetPeer.StartAsync().GetAwaiter().GetResult();
        _plainClient = Workloads.Checked(_plain);
    }

    // The crossed pairs (`--bulk-loop GrpcProxyToPlain_64`, `GrpcPlainToOurs_64`): which side of a call costs what.
    private IDisposable? _crossChannel;

    /// <summary>Cross: our generated proxy (its own channel) calling the plain grpc-dotnet server (same path, same bytes).</summary>
    internal void StartProxyToPlain()
    {
        _plain = GrpcDotnetPeer.StartAsync().GetAwaiter().GetResult();
        var channel = SidecarKit.Transports.Grpc.GrpcSidecarChannel.Create(_plain.Authority);
        _crossChannel = channel;
        _demo = channel.GetClient<IDemo>();
    }

    /// <summary>Cross: the plain protoc-generated client calling our demo sidecar (its token added by an interceptor).</summary>
    internal void StartPlainToOurs()
    {
        const string token = "bench-cross-token";
        _sidecar = DemoSidecarStarter.StartGrpcAsync(token).GetAwaiter().GetResult();
        var channel = Grpc.Net.Client.GrpcChannel.ForAddress("http://" + _sidecar.ReadyInfo.ListenInfo);
        _crossChannel = channel;
        _plainClient = new Peers.Plain.Demo.DemoClient(Grpc.Core.Interceptors.CallInvokerExtensions.Intercept(channel.CreateCallInvoker(),
            headers => { headers.Add("authorization", "Bearer " + token); return headers; }));
    }

    [GlobalCleanup]
    public void Stop()
    {
        _raw?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _sidecar?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _plain?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _crossChannel?.Dispose();
        (_raw, _sidecar, _demo, _plain, _plainClient, _crossChannel) = (null, null, null, null, null, null);
    }

    /// <summary>One raw gRPC call (an AddRequest's bytes echoed), one outstanding; reported per call.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = StdioBenchmarks.Sequential)]
    public async Task<int> RawGrpcEcho_1()
    {
        int bytes = 0;
        for (int i = 0; i < StdioBenchmarks.Sequential; i++) bytes += await _raw!.CallAsync().ConfigureAwait(false);
        return bytes;
    }

    /// <summary>64 concurrent raw gRPC calls on the one connection; reported per call.</summary>
    [Benchmark(OperationsPerInvoke = StdioBenchmarks.Outstanding)]
    public Task RawGrpcEcho_64()
    {
        for (int i = 0; i < _calls.Length; i++) _calls[i] = _raw!.CallAsync();
        return Task.WhenAll(_calls);
    }

    /// <summary><c>await demo.AddAsync(1, 2)</c> over gRPC; one outstanding; reported per call.</summary>
    [Benchmark(OperationsPerInvoke = StdioBenchmarks.Sequential)]
    public Task<int> GrpcAdd_1() => Workloads.AddOneByOneAsync(_demo!);

    /// <summary>64 concurrent <c>demo.add</c> calls over gRPC on one HTTP/2 connection; reported per call.</summary>
    [Benchmark(OperationsPerInvoke = StdioBenchmarks.Outstanding)]
    public Task GrpcAdd_64() => Workloads.AddConcurrentlyAsync(_demo!, _calls);

    /// <summary>Peer: the plain grpc-dotnet service's Add through its generated client; one outstanding; per call.</summary>
    [Benchmark(OperationsPerInvoke = StdioBenchmarks.Sequential)]
    public Task<int> GrpcDotnetAdd_1() => Workloads.AddOneByOneAsync(_plainClient!);

    /// <summary>Peer: 64 concurrent unary calls to the plain grpc-dotnet service on one channel; reported per call.</summary>
    [Benchmark(OperationsPerInvoke = StdioBenchmarks.Outstanding)]
    public Task GrpcDotnetAdd_64() => Workloads.AddConcurrentlyAsync(_plainClient!, _calls);
}

/// <summary>The raw floor's client: the same <see cref="HttpClient"/> settings as the gRPC channel, bytes in and out by hand.</summary>
internal sealed class RawGrpcClient : IAsyncDisposable
{
    // A framed AddRequest { a = 1; b = 2; }.
    public static readonly byte[] Message = [0, 0, 0, 0, 4, 0x08, 0x01, 0x10, 0x02];

    private readonly Process _process;
    private readonly HttpClient _http;
    private readonly Uri _uri;

    private RawGrpcClient(Process process, string authority)
    {
        _process = process;
        _uri = new Uri($"http://{authority}/sidecarkit.demo.Demo/Add");
        _http = new HttpClient(new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = false,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
        });
    }

    public static async Task<RawGrpcClient> StartAsync()
    {
        Process process = ChildProcess.Start(ChildPaths.EchoChild, redirectOutput: false, redirectError: true, "--grpc");
        string line = await ChildProcess.ReadGreetingAsync(process, "listening ").ConfigureAwait(false);
        return new RawGrpcClient(process, line["listening ".Length..]);
    }

    /// <summary>One call: returns the response body's size once grpc-status 0 was read from the trailers.</summary>
    public async Task<int> CallAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _uri)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(Message),
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        using HttpResponseMessage response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        byte[] body = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
        if (!response.TrailingHeaders.TryGetValues("grpc-status", out var status) || status.First() != "0")
            throw new InvalidOperationException("The echo did not end with grpc-status 0.");
        return body.Length >= 5 && BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(1)) == body.Length - 5 ? body.Length : -1;
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        _process.StandardInput.Close();
        await ChildProcess.WaitForExitAsync(_process).ConfigureAwait(false);
        _process.Dispose();
    }
}
