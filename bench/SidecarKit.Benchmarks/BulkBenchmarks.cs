using BenchmarkDotNet.Attributes;
using SidecarKit.Processes;
using SidecarKit.Samples.Demo;

namespace SidecarKit.Benchmarks;

/// <summary>
/// Bulk transfer: 64 MiB through a <c>Stream</c> result (<c>demo.download</c>, chunks of 64 KiB with credit) and a
/// <c>Stream</c> parameter (<c>demo.upload</c>, which also hashes what arrives with SHA-256 in the sidecar; the
/// <c>…UploadUnhashed</c> rows to a sidecar that only counts it), against
/// the raw floor of the same carrier (EchoChild <c>--bulk</c>: the bytes copied one way, nothing else); and items per
/// second of client streaming (<c>demo.sum</c>) against server streaming (<c>demo.count</c>) on the same transport.
/// Each row is one transfer of 64 MiB (or 10 000 items); read the medians as time per transfer.
/// </summary>
[MemoryDiagnoser]
public class BulkBenchmarks
{
    /// <summary>The bytes of one transfer: 64 MiB.</summary>
    public const long Size = 64L << 20;

    /// <summary>The items of one client or server stream.</summary>
    public const int Items = 10_000;

    private RawBulkClient? _rawStdio, _rawUnix;
    private RawHttp2BulkClient? _rawHttp2;
    private SidecarProcess? _jsonl, _msgpackUnix, _grpcUnix, _unhashed;
    private IDemo? _jsonlDemo, _msgpackDemo, _grpcDemo, _unhashedDemo;

    [GlobalSetup(Targets = [nameof(RawStdioDown_64MiB), nameof(RawStdioUp_64MiB), nameof(RawStdioUpHashed_64MiB)])]
    public void StartRawStdio() => _rawStdio = RawBulkClient.Start();

    [GlobalSetup(Targets = [nameof(RawUnixDown_64MiB), nameof(RawUnixUp_64MiB), nameof(RawUnixUpHashed_64MiB)])]
    public void StartRawUnix() => _rawUnix = RawBulkClient.StartUnixAsync().GetAwaiter().GetResult();

    [GlobalSetup(Targets = [nameof(RawHttp2UnixDown_64MiB), nameof(RawHttp2UnixUp_64MiB), nameof(RawHttp2UnixUpHashed_64MiB)])]
    public void StartRawHttp2() => _rawHttp2 = RawHttp2BulkClient.StartUnixAsync().GetAwaiter().GetResult();

    [GlobalSetup(Targets = [nameof(JsonlDownload_64MiB), nameof(JsonlUpload_64MiB), nameof(JsonlCount_10k), nameof(JsonlSum_10k), nameof(JsonlChat_1k)])]
    public void StartJsonl()
    {
        _jsonl = DemoSidecarStarter.StartAsync().GetAwaiter().GetResult();
        _jsonlDemo = _jsonl.GetClient<IDemo>();
    }

    [GlobalSetup(Targets = [nameof(MsgpackUnixDownload_64MiB), nameof(MsgpackUnixUpload_64MiB), nameof(MsgpackUnixCount_10k), nameof(MsgpackUnixSum_10k), nameof(MsgpackUnixChat_1k)])]
    public void StartMsgpackUnix()
    {
        _msgpackUnix = DemoSidecarStarter.StartMessagePackAsync(SidecarCarrier.UnixSocket).GetAwaiter().GetResult();
        _msgpackDemo = _msgpackUnix.GetClient<IDemo>();
    }

    [GlobalSetup(Targets = [nameof(GrpcUnixDownload_64MiB), nameof(GrpcUnixUpload_64MiB), nameof(GrpcUnixCount_10k), nameof(GrpcUnixSum_10k)])]
    public void StartGrpcUnix()
    {
        _grpcUnix = DemoSidecarStarter.StartGrpcUnixAsync().GetAwaiter().GetResult();
        _grpcDemo = _grpcUnix.GetClient<IDemo>();
    }

    // The upload rows without the sidecar's SHA-256 (DemoSidecarStarter.UnhashedUploadsVariable): one sidecar each.
    [GlobalSetup(Target = nameof(JsonlUploadUnhashed_64MiB))]
    public void StartJsonlUnhashed() => StartUnhashed(DemoSidecarStarter.StartAsync(unhashedUploads: true));

    [GlobalSetup(Target = nameof(MsgpackUnixUploadUnhashed_64MiB))]
    public void StartMsgpackUnixUnhashed() => StartUnhashed(DemoSidecarStarter.StartMessagePackAsync(SidecarCarrier.UnixSocket, unhashedUploads: true));

    [GlobalSetup(Target = nameof(GrpcUnixUploadUnhashed_64MiB))]
    public void StartGrpcUnixUnhashed() => StartUnhashed(DemoSidecarStarter.StartGrpcUnixAsync(unhashedUploads: true));

    private void StartUnhashed(Task<SidecarProcess> start)
    {
        _unhashed = start.GetAwaiter().GetResult();
        _unhashedDemo = _unhashed.GetClient<IDemo>();
    }

    /// <summary>The pid of the demo sidecar (or floor's child) a setup started (for <c>--bulk-loop</c>), or 0.</summary>
    internal int ServerPid => (_jsonl ?? _msgpackUnix ?? _grpcUnix ?? _unhashed)?.ProcessId ?? _rawHttp2?.ProcessId ?? (_rawStdio ?? _rawUnix)?.ProcessId ?? 0;

    [GlobalCleanup]
    public void Stop()
    {
        _rawStdio?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _rawUnix?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _rawHttp2?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _jsonl?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _msgpackUnix?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _grpcUnix?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _unhashed?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        (_rawStdio, _rawUnix, _rawHttp2, _jsonl, _msgpackUnix, _grpcUnix, _unhashed) = (null, null, null, null, null, null, null);
    }

    // ---- the floors

    /// <summary>Floor: 64 MiB from EchoChild's stdout.</summary>
    [Benchmark]
    public Task<long> RawStdioDown_64MiB() => _rawStdio!.DownloadAsync(Size);

    /// <summary>Floor: 64 MiB into EchoChild's stdin, one byte back.</summary>
    [Benchmark]
    public Task<long> RawStdioUp_64MiB() => _rawStdio!.UploadAsync(Size);

    /// <summary>Floor: 64 MiB from EchoChild over a Unix socket.</summary>
    [Benchmark]
    public Task<long> RawUnixDown_64MiB() => _rawUnix!.DownloadAsync(Size);

    /// <summary>Floor: 64 MiB to EchoChild over a Unix socket, one byte back.</summary>
    [Benchmark]
    public Task<long> RawUnixUp_64MiB() => _rawUnix!.UploadAsync(Size);

    /// <summary>
    /// The floor of an upload that does demo.upload's work: 64 MiB into EchoChild's stdin, hashed with SHA-256 as it
    /// arrives, one byte back. The upload rows' hashing is not the transport's cost; this floor pays it too.
    /// </summary>
    [Benchmark]
    public Task<long> RawStdioUpHashed_64MiB() => _rawStdio!.UploadAsync(Size, hashed: true);

    /// <summary>The same over a Unix socket.</summary>
    [Benchmark]
    public Task<long> RawUnixUpHashed_64MiB() => _rawUnix!.UploadAsync(Size, hashed: true);

    /// <summary>
    /// The gRPC rows' second floor: 64 MiB from plain Kestrel to <c>HttpClient</c> over h2c on a Unix socket (PeerChild
    /// <c>http2</c>), no gRPC: what HTTP/2 itself costs on .NET's client and server, which the socket floor does not pay.
    /// </summary>
    [Benchmark]
    public Task<long> RawHttp2UnixDown_64MiB() => _rawHttp2!.DownloadAsync(Size);

    /// <summary>The same upward: 64 MiB as one HTTP/2 request body in 64 KiB writes.</summary>
    [Benchmark]
    public Task<long> RawHttp2UnixUp_64MiB() => _rawHttp2!.UploadAsync(Size);

    /// <summary>The same upward, hashed with SHA-256 as it arrives (demo.upload's work).</summary>
    [Benchmark]
    public Task<long> RawHttp2UnixUpHashed_64MiB() => _rawHttp2!.UploadAsync(Size, hashed: true);

    // ---- Stream results and parameters

    /// <summary><c>demo.download(64 MiB)</c> over JSON lines on stdio (base64 in JSON), read to its end.</summary>
    [Benchmark]
    public Task<long> JsonlDownload_64MiB() => DrainAsync(_jsonlDemo!);

    /// <summary><c>demo.upload</c> of 64 MiB over JSON lines on stdio (the sidecar hashes it).</summary>
    [Benchmark]
    public Task<string> JsonlUpload_64MiB() => _jsonlDemo!.UploadAsync(new ZeroStream(Size));

    /// <summary><c>demo.download(64 MiB)</c> over MessagePack-RPC on a Unix socket.</summary>
    [Benchmark]
    public Task<long> MsgpackUnixDownload_64MiB() => DrainAsync(_msgpackDemo!);

    /// <summary><c>demo.upload</c> of 64 MiB over MessagePack-RPC on a Unix socket (the sidecar hashes it).</summary>
    [Benchmark]
    public Task<string> MsgpackUnixUpload_64MiB() => _msgpackDemo!.UploadAsync(new ZeroStream(Size));

    /// <summary><c>demo.download(64 MiB)</c> over gRPC (h2c) on a Unix socket.</summary>
    [Benchmark]
    public Task<long> GrpcUnixDownload_64MiB() => DrainAsync(_grpcDemo!);

    /// <summary><c>demo.upload</c> of 64 MiB over gRPC (h2c) on a Unix socket (the sidecar hashes it).</summary>
    [Benchmark]
    public Task<string> GrpcUnixUpload_64MiB() => _grpcDemo!.UploadAsync(new ZeroStream(Size));

    // ---- the same uploads with a sidecar that counts what arrives instead of hashing it, as the raw up floors do

    /// <summary><c>demo.upload</c> of 64 MiB over JSON lines on stdio, to a sidecar that does not hash it.</summary>
    [Benchmark]
    public Task<string> JsonlUploadUnhashed_64MiB() => UploadUnhashedAsync();

    /// <summary>The same over MessagePack-RPC on a Unix socket.</summary>
    [Benchmark]
    public Task<string> MsgpackUnixUploadUnhashed_64MiB() => UploadUnhashedAsync();

    /// <summary>The same over gRPC (h2c) on a Unix socket.</summary>
    [Benchmark]
    public Task<string> GrpcUnixUploadUnhashed_64MiB() => UploadUnhashedAsync();

    private async Task<string> UploadUnhashedAsync()
    {
        string answer = await _unhashedDemo!.UploadAsync(new ZeroStream(Size));
        return answer == $"{Size}:unhashed" ? answer : throw new InvalidOperationException($"the sidecar answered '{answer}'");
    }

    // ---- items per second: client streaming against server streaming

    /// <summary><c>demo.count(10 000)</c> over JSON lines: a server stream of int32.</summary>
    [Benchmark]
    public Task<long> JsonlCount_10k() => CountAsync(_jsonlDemo!);

    /// <summary><c>demo.sum</c> of 10 000 int32 over JSON lines: a client stream.</summary>
    [Benchmark]
    public Task<long> JsonlSum_10k() => _jsonlDemo!.SumAsync(Values());

    /// <summary><c>demo.count(10 000)</c> over MessagePack-RPC on a Unix socket.</summary>
    [Benchmark]
    public Task<long> MsgpackUnixCount_10k() => CountAsync(_msgpackDemo!);

    /// <summary><c>demo.sum</c> of 10 000 int32 over MessagePack-RPC on a Unix socket.</summary>
    [Benchmark]
    public Task<long> MsgpackUnixSum_10k() => _msgpackDemo!.SumAsync(Values());

    /// <summary><c>demo.count(10 000)</c> over gRPC on a Unix socket.</summary>
    [Benchmark]
    public Task<long> GrpcUnixCount_10k() => CountAsync(_grpcDemo!);

    /// <summary><c>demo.sum</c> of 10 000 int32 over gRPC on a Unix socket.</summary>
    [Benchmark]
    public Task<long> GrpcUnixSum_10k() => _grpcDemo!.SumAsync(Values());

    // ---- one item at a time: a bidirectional ping-pong

    /// <summary>
    /// <c>demo.chat</c> over JSON lines: 1,000 lines sent one at a time, each answered before the next is sent: the
    /// latency of a stream item that goes alone, both ways.
    /// </summary>
    [Benchmark]
    public Task<int> JsonlChat_1k() => PingPongAsync(_jsonlDemo!);

    /// <summary>The same over MessagePack-RPC on a Unix socket.</summary>
    [Benchmark]
    public Task<int> MsgpackUnixChat_1k() => PingPongAsync(_msgpackDemo!);

    /// <summary>The round trips of one ping-pong row.</summary>
    public const int PingPongs = 1_000;

    private static async Task<int> PingPongAsync(IDemo demo)
    {
        var lines = System.Threading.Channels.Channel.CreateUnbounded<string>(new() { SingleReader = true, SingleWriter = true });
        await using IAsyncEnumerator<string> replies = demo.ChatAsync("> ", lines.Reader.ReadAllAsync()).GetAsyncEnumerator();
        int answered = 0;
        for (int i = 0; i < PingPongs; i++)
        {
            lines.Writer.TryWrite("ping");
            if (!await replies.MoveNextAsync() || replies.Current != "> ping") throw new InvalidOperationException($"reply {i}: {(answered == i ? replies.Current : "none")}");
            answered++;
        }
        lines.Writer.Complete();
        while (await replies.MoveNextAsync()) { }
        return answered;
    }

    private static async Task<long> DrainAsync(IDemo demo)
    {
        byte[] buffer = new byte[64 * 1024];
        long read = 0;
        await using Stream download = await demo.DownloadAsync(Size);
        int n;
        while ((n = await download.ReadAsync(buffer)) > 0) read += n;
        return read == Size ? read : throw new InvalidOperationException($"read {read} bytes");
    }

    private static async Task<long> CountAsync(IDemo demo)
    {
        long sum = 0;
        await foreach (int i in demo.CountAsync(Items)) sum += i;
        return sum;
    }

    private static async IAsyncEnumerable<int> Values()
    {
        for (int i = 1; i <= Items; i++)
        {
            yield return i;
            if ((i & 1023) == 0) await Task.Yield();
        }
    }

    /// <summary>Zeros, as fast as they can be read.</summary>
    private sealed class ZeroStream(long size) : Stream
    {
        private long _position;

        public override int Read(Span<byte> buffer)
        {
            int n = (int)Math.Min(buffer.Length, size - _position);
            buffer[..n].Clear();
            _position += n;
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        // Made in memory: a read never waits, so it completes at once. (Stream's own ReadAsync would run each read on
        // the thread pool, a hand-off per 64 KiB chunk.)
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            => cancellationToken.IsCancellationRequested ? ValueTask.FromCanceled<int>(cancellationToken) : new(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => size;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
