using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using SidecarKit.Processes;
using SidecarKit.Transports.Grpc;
using SidecarKit.Transports.JsonLines;
using SidecarKit.Transports.MessagePack;

namespace SidecarKit.Benchmarks;

/// <summary>Finds the child programs built next to the benchmarks (same configuration).</summary>
internal static class ChildPaths
{
    public static string DemoSidecar => Locate(Path.Combine("samples", "Demo", "Sidecar"), "SidecarKit.Samples.Demo.Sidecar.dll");

    public static string EchoChild => Locate(Path.Combine("bench", "EchoChild"), "SidecarKit.Benchmarks.EchoChild.dll");

    /// <summary>The peers' servers (StreamJsonRpc, plain grpc-dotnet) and the HTTP/2 floor; see bench/PeerChild/Program.cs.</summary>
    public static string PeerChild => Locate(Path.Combine("bench", "PeerChild"), "SidecarKit.Benchmarks.PeerChild.dll");

    // Like samples/Quickstart's DemoSidecar.Locate(): walk up from bin/<Configuration>/net10.0/ to the repository root.
    private static string Locate(string projectDir, string dll)
    {
        string config = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, projectDir, "bin", config, "net10.0", dll);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"{dll} is not built. Run: dotnet build bench/SidecarKit.Benchmarks -c {config}");
    }
}

/// <summary>How the benchmarks start a child program (<c>dotnet child.dll args</c>) and wait for it to go.</summary>
internal static class ChildProcess
{
    private const string SetSid = "/usr/bin/setsid";

    // `SIDECARKIT_BENCH_SAME_SESSION=1` keeps the children in this process's session (to measure what the placement costs).
    private static readonly bool SessionLeader = OperatingSystem.IsLinux() && File.Exists(SetSid)
        && Environment.GetEnvironmentVariable("SIDECARKIT_BENCH_SAME_SESSION") != "1";

    /// <summary>
    /// Starts <c>dotnet <paramref name="dll"/> <paramref name="args"/></c> with stdin redirected (its end of input is
    /// the signal to exit); stdout and stderr redirected as asked, else shared with this console.
    /// </summary>
    public static Process Start(string dll, bool redirectOutput, bool redirectError, params string[] args)
    {
        var startInfo = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = redirectOutput,
            RedirectStandardError = redirectError,
            UseShellExecute = false,
        };
        // Placed as SidecarProcess places a sidecar: in a session of its own (setsid; no fork, same pid, as this process
        // is not a group leader for the child). On kernels with autogroup scheduling (sched_autogroup_enabled=1, the
        // default on Debian) a session is a scheduling group of its own, and when this process and a child keep both
        // cores busy, two groups cost each call more context switches than two processes of one group: measured on
        // the plain grpc-dotnet server, 71-74k calls/s in a session of its own against 88-102k in ours. Every child
        // placed alike, the rows compare the stacks, not the scheduling.
        if (SessionLeader)
        {
            startInfo.FileName = SetSid;
            startInfo.ArgumentList.Add("dotnet");
        }
        startInfo.ArgumentList.Add(dll);
        foreach (string a in args) startInfo.ArgumentList.Add(a);
        return Process.Start(startInfo)!;
    }

    /// <summary>Reads the child's first stderr line and checks that it starts with <paramref name="expected"/>.</summary>
    public static async Task<string> ReadGreetingAsync(Process process, string expected)
    {
        string line = await process.StandardError.ReadLineAsync().ConfigureAwait(false) ?? "";
        if (!line.StartsWith(expected, StringComparison.Ordinal))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{process.StartInfo.ArgumentList.FirstOrDefault(a => a.EndsWith(".dll", StringComparison.Ordinal))} said '{line}', expected '{expected}…'.");
        }
        return line;
    }

    /// <summary>After the child's stdin was closed: waits 5 s for it to exit, then kills it.</summary>
    public static async Task WaitForExitAsync(Process process)
    {
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try { await process.WaitForExitAsync(grace.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) { process.Kill(entireProcessTree: true); }
    }
}

/// <summary>How the benchmark's clients reach a child listening on a Unix socket.</summary>
internal static class UnixSocketClient
{
    /// <summary>
    /// Connects to <paramref name="path"/> synchronously, for a client that reads and writes with blocking calls: a socket
    /// that made an asynchronous call is non-blocking for good, and .NET then waits for its "blocking" calls on the epoll
    /// thread, a hand-off each (the SidecarKit carriers connect this way for that reason, CarrierConnector).
    /// </summary>
    public static System.Net.Sockets.NetworkStream Connect(string path)
    {
        var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        try
        {
            socket.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
            return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Connects to <paramref name="path"/>; the stream owns the socket (disposed here if the connect fails).</summary>
    public static async Task<System.Net.Sockets.NetworkStream> ConnectAsync(string path, CancellationToken cancellationToken = default)
    {
        var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
            return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>
/// The hand-written client of a raw floor: EchoChild on the other end of its stdio pipes or of a Unix socket, lines
/// written straight to it and read back through a <see cref="PipeReader"/> (the reader settings of the SidecarKit
/// connection, <see cref="SidecarKit.Rpc.StreamDuplexPipe"/>).
/// </summary>
internal sealed class RawEchoClient : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Stream _output;
    private readonly PipeReader _input;
    private readonly string? _socketPath;

    private RawEchoClient(Process process, Stream output, Stream input, string? socketPath = null)
    {
        _process = process;
        _output = output;
        _socketPath = socketPath;
        _input = PipeReader.Create(input, new StreamPipeReaderOptions(bufferSize: 256 * 1024, minimumReadSize: 4096));
    }

    public int ProcessId => _process.Id;

    /// <summary>EchoChild on stdio.</summary>
    public static RawEchoClient Start()
    {
        Process process = StartEchoChild();
        return new RawEchoClient(process, process.StandardInput.BaseStream, process.StandardOutput.BaseStream);
    }

    /// <summary>EchoChild on a Unix socket, connected with async socket I/O.</summary>
    public static async Task<RawEchoClient> StartUnixAsync()
    {
        string path = Path.Combine(Path.GetTempPath(), $"echo-{Guid.NewGuid():N}.sock");
        Process process = StartEchoChild("--unix", path);
        await ChildProcess.ReadGreetingAsync(process, "listening").ConfigureAwait(false);
        var stream = await UnixSocketClient.ConnectAsync(path).ConfigureAwait(false);
        return new RawEchoClient(process, stream, stream, path);
    }

    private static Process StartEchoChild(params string[] args) =>
        ChildProcess.Start(ChildPaths.EchoChild, redirectOutput: true, redirectError: args.Length > 0, args);

    /// <summary>Writes <paramref name="lines"/> (one or more complete lines) in one write.</summary>
    public ValueTask WriteAsync(ReadOnlyMemory<byte> lines) => _output.WriteAsync(lines);

    /// <summary>Reads <paramref name="count"/> lines; returns the number of bytes read.</summary>
    public async ValueTask<int> ReadLinesAsync(int count)
    {
        int bytes = 0;
        while (count > 0)
        {
            ReadResult result = await _input.ReadAsync().ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            while (count > 0 && buffer.PositionOf((byte)'\n') is SequencePosition newline)
            {
                SequencePosition next = buffer.GetPosition(1, newline);
                bytes += (int)buffer.Slice(0, next).Length;
                buffer = buffer.Slice(next);
                count--;
            }
            _input.AdvanceTo(buffer.Start, buffer.End);
            if (count > 0 && result.IsCompleted)
                throw new InvalidOperationException($"EchoChild closed its end with {count} lines outstanding.");
        }
        return bytes;
    }

    public async ValueTask DisposeAsync()
    {
        _output.Dispose(); // EOF: EchoChild exits
        await ChildProcess.WaitForExitAsync(_process).ConfigureAwait(false);
        await _input.CompleteAsync().ConfigureAwait(false);
        _process.Dispose();
        if (_socketPath is not null) File.Delete(_socketPath);
    }
}

/// <summary>Starts the demo sidecar the way samples/Quickstart does.</summary>
internal static class DemoSidecarStarter
{
    /// <summary>
    /// The environment variable that makes the demo's <c>demo.upload</c> count what arrives without hashing it: the bulk
    /// upload rows that measure the <c>Stream</c> parameter alone, as the raw floor does.
    /// </summary>
    public const string UnhashedUploadsVariable = "DEMO_UPLOAD_UNHASHED";

    /// <summary>JSON lines on stdio (<paramref name="unhashedUploads"/>: see <see cref="UnhashedUploadsVariable"/>).</summary>
    public static Task<SidecarProcess> StartAsync(bool unhashedUploads = false)
    {
        var options = new SidecarProcessOptions
        {
            Name = "demo",
            FileName = "dotnet",
            ReadyTimeout = TimeSpan.FromSeconds(30),
            RequireCallbacks = false, // the demo announces demoEvents; no benchmark calls a method that uses it
        }.UseJsonLines();
        options.Arguments.Add(ChildPaths.DemoSidecar);
        if (unhashedUploads) options.Environment[UnhashedUploadsVariable] = "1";
        return SidecarProcess.StartAsync(options);
    }

    /// <summary>MessagePack-RPC on <paramref name="carrier"/> (<c>--transport msgpack</c> or <c>msgpack-unix</c>), token and all.</summary>
    public static Task<SidecarProcess> StartMessagePackAsync(SidecarCarrier carrier, bool unhashedUploads = false)
    {
        var options = new SidecarProcessOptions
        {
            Name = "demo-msgpack",
            FileName = "dotnet",
            ReadyTimeout = TimeSpan.FromSeconds(30),
            RequireCallbacks = false, // the demo announces demoEvents; no benchmark calls a method that uses it
        }.UseMessagePack(carrier);
        options.Arguments.Add(ChildPaths.DemoSidecar);
        options.Arguments.Add("--transport");
        options.Arguments.Add(carrier == SidecarCarrier.Stdio ? MessagePackExtensions.StdioTransportName : MessagePackExtensions.UnixSocketTransportName);
        if (unhashedUploads) options.Environment[UnhashedUploadsVariable] = "1";
        return SidecarProcess.StartAsync(options);
    }

    /// <summary>gRPC over h2c on a Unix socket (<c>--transport grpc-unix</c>), token and all.</summary>
    public static Task<SidecarProcess> StartGrpcUnixAsync(bool unhashedUploads = false)
    {
        var options = new SidecarProcessOptions
        {
            Name = "demo-grpc-unix",
            FileName = "dotnet",
            ReadyTimeout = TimeSpan.FromSeconds(30),
            RequireCallbacks = false,
        }.UseGrpc();
        options.Arguments.Add(ChildPaths.DemoSidecar);
        options.Arguments.Add("--transport");
        options.Arguments.Add("grpc-unix");
        if (unhashedUploads) options.Environment[UnhashedUploadsVariable] = "1";
        return SidecarProcess.StartAsync(options);
    }

    /// <summary>gRPC over h2c on loopback TCP (<c>--transport grpc</c>), token and all.</summary>
    public static Task<SidecarProcess> StartGrpcAsync(string? token = null)
    {
        var options = new SidecarProcessOptions
        {
            Name = "demo-grpc",
            FileName = "dotnet",
            ReadyTimeout = TimeSpan.FromSeconds(30),
            RequireCallbacks = false, // the demo announces demoEvents; no benchmark calls a method that uses it
        }.UseGrpc();
        options.Arguments.Add(ChildPaths.DemoSidecar);
        options.Arguments.Add("--transport");
        options.Arguments.Add("grpc");
        if (token is not null) options.Environment[SidecarProcess.TokenVariable] = token;
        return SidecarProcess.StartAsync(options);
    }
}

/// <summary>
/// The bulk floor: EchoChild <c>--bulk</c> copying bytes one way on stdio or a Unix socket, as fast as the carrier
/// goes (an 8-byte length, then the bytes; one byte answers an upload).
/// </summary>
internal sealed class RawBulkClient : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Stream _output;
    private readonly Stream _input;
    private readonly string? _socketPath;
    private readonly byte[] _chunk = new byte[64 * 1024];     // each write: a stream chunk's size
    private readonly byte[] _buffer = new byte[256 * 1024];   // each read: the SidecarKit connection's read segment

    private RawBulkClient(Process process, Stream output, Stream input, string? socketPath)
    {
        (_process, _output, _input, _socketPath) = (process, output, input, socketPath);
    }

    public int ProcessId => _process.Id;

    public static RawBulkClient Start()
    {
        Process process = ChildProcess.Start(ChildPaths.EchoChild, redirectOutput: true, redirectError: false, "--bulk");
        return new RawBulkClient(process, process.StandardInput.BaseStream, process.StandardOutput.BaseStream, null);
    }

    public static async Task<RawBulkClient> StartUnixAsync()
    {
        string path = Path.Combine(Path.GetTempPath(), $"bulk-{Guid.NewGuid():N}.sock");
        Process process = ChildProcess.Start(ChildPaths.EchoChild, redirectOutput: true, redirectError: true, "--bulk", path);
        await ChildProcess.ReadGreetingAsync(process, "listening").ConfigureAwait(false);
        var stream = UnixSocketClient.Connect(path);
        return new RawBulkClient(process, stream, stream, path);
    }

    // Both ends block in their reads and writes, as cat does (EchoChild's Bulk says why): the benchmark's thread waits,
    // nothing is handed to the thread pool.

    /// <summary>
    /// Sends <paramref name="size"/> bytes in 64 KiB writes and waits for the answer; with <paramref name="hashed"/>, the
    /// child hashes them with SHA-256 as they arrive (what <c>demo.upload</c> does with them).
    /// </summary>
    public Task<long> UploadAsync(long size, bool hashed = false)
    {
        _output.Write(BitConverter.GetBytes(hashed ? size | (1L << 62) : size));
        for (long left = size; left > 0;)
        {
            int n = (int)Math.Min(_chunk.Length, left);
            _output.Write(_chunk.AsSpan(0, n));
            left -= n;
        }
        _output.Flush();
        if (_input.Read(_buffer.AsSpan(0, 1)) != 1) throw new InvalidOperationException("EchoChild closed its end.");
        return Task.FromResult(size);
    }

    /// <summary>Asks for <paramref name="size"/> bytes and reads them.</summary>
    public Task<long> DownloadAsync(long size)
    {
        _output.Write(BitConverter.GetBytes(-size));
        _output.Flush();
        long read = 0;
        while (read < size)
        {
            int n = _input.Read(_buffer);
            if (n == 0) throw new InvalidOperationException("EchoChild closed its end.");
            read += n;
        }
        return Task.FromResult(read);
    }

    public async ValueTask DisposeAsync()
    {
        _output.Dispose();
        await ChildProcess.WaitForExitAsync(_process).ConfigureAwait(false);
        _process.Dispose();
        if (_socketPath is not null) File.Delete(_socketPath);
    }
}

/// <summary>
/// The HTTP/2 floor of the gRPC bulk rows: PeerChild <c>http2</c> (plain Kestrel, h2c on a Unix socket) and an
/// <see cref="HttpClient"/> over a default <see cref="System.Net.Http.SocketsHttpHandler"/>, bytes in 64 KiB writes and
/// reads, no gRPC framing, no codec. The carrier a gRPC stream rides on, with nothing of gRPC's.
/// </summary>
internal sealed class RawHttp2BulkClient : IAsyncDisposable
{
    private readonly Process _process;
    private readonly HttpClient _client;
    private readonly string _socketPath;
    private readonly byte[] _buffer = new byte[64 * 1024];

    private RawHttp2BulkClient(Process process, HttpClient client, string socketPath) => (_process, _client, _socketPath) = (process, client, socketPath);

    public static async Task<RawHttp2BulkClient> StartUnixAsync()
    {
        string path = Path.Combine(Path.GetTempPath(), $"h2bulk-{Guid.NewGuid():N}.sock");
        Process process = ChildProcess.Start(ChildPaths.PeerChild, redirectOutput: false, redirectError: true, "http2", "--unix", path);
        await ChildProcess.ReadGreetingAsync(process, "listening").ConfigureAwait(false);
        var handler = new System.Net.Http.SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) => await UnixSocketClient.ConnectAsync(path, cancellationToken).ConfigureAwait(false),
        };
        var client = new HttpClient(handler)
        {
            BaseAddress = new Uri("http://localhost"),
            DefaultRequestVersion = System.Net.HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,   // h2c with prior knowledge, as a gRPC channel
            Timeout = Timeout.InfiniteTimeSpan,
        };
        return new RawHttp2BulkClient(process, client, path);
    }

    /// <summary>The server's process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>Asks for <paramref name="size"/> bytes and reads them.</summary>
    public async Task<long> DownloadAsync(long size)
    {
        using HttpResponseMessage response = await _client.GetAsync($"/down/{size}", HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        await using Stream body = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
        long read = 0;
        int n;
        while ((n = await body.ReadAsync(_buffer).ConfigureAwait(false)) > 0) read += n;
        return read == size ? read : throw new InvalidOperationException($"read {read} of {size} bytes");
    }

    /// <summary>Sends <paramref name="size"/> bytes in 64 KiB writes (hashed with SHA-256 on arrival with <paramref name="hashed"/>).</summary>
    public async Task<long> UploadAsync(long size, bool hashed = false)
    {
        using HttpResponseMessage response = await _client.PostAsync(hashed ? "/up?hash=1" : "/up", new ChunkedZeros(size, _buffer)).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        byte[] answer = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
        long received = answer.Length == 8 ? System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(answer) : -1;
        return received == size ? received : throw new InvalidOperationException($"the server read {received} of {size} bytes");
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        _process.StandardInput.Close();
        await ChildProcess.WaitForExitAsync(_process).ConfigureAwait(false);
        _process.Dispose();
        File.Delete(_socketPath);
    }

    // A request body of zeros written in 64 KiB writes, each handed to the HTTP/2 stream as it is (no buffering of ours).
    private sealed class ChunkedZeros(long size, byte[] chunk) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            for (long left = size; left > 0;)
            {
                int n = (int)Math.Min(chunk.Length, left);
                await stream.WriteAsync(chunk.AsMemory(0, n)).ConfigureAwait(false);
                left -= n;
            }
        }

        // No Content-Length, as a gRPC request stream has none.
        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
