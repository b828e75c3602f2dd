using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using SidecarKit.Rpc;
using SidecarKit.Samples.Demo;
using SidecarKit.Tests.Support;
using DemoAddress = SidecarKit.Samples.Demo.Address;

namespace SidecarKit.Transports.Grpc.Tests;

/// <summary>
/// The demo contract served by @grpc/grpc-js (<c>tests/Polyglot/node/grpc-demo-server.mjs</c>, from the proto the demo
/// sidecar exports), one Node process: node and the npm packages are required, a missing one fails the tests.
/// </summary>
public sealed class GrpcJsServer : IAsyncDisposable
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(60);
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    private GrpcJsServer(Process process) => _process = process;

    /// <summary><c>127.0.0.1:port</c>, from the server's LISTENING line.</summary>
    public string Address { get; private set; } = "";

    public Process Process => _process;

    public string Stderr
    {
        get { lock (_stderr) return _stderr.ToString(); }
    }

    public static async Task<GrpcJsServer> StartAsync()
    {
        string folder = Path.Combine(Repository.Root, "tests", "Polyglot", "node");
        string script = Path.Combine(folder, "grpc-demo-server.mjs");
        Assert.True(File.Exists(script), "Missing: " + script);
        string[] missing = ["@grpc/grpc-js", "@grpc/proto-loader"];
        missing = missing.Where(p => !Directory.Exists(Path.Combine(folder, "node_modules", p))).ToArray();
        Assert.True(missing.Length == 0,
            $"Not installed in tests/Polyglot/node: {string.Join(", ", missing)}. Run `npm install --no-package-lock --no-audit --no-fund` in {folder} (scripts/test.sh does it).");

        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = folder,
            UseShellExecute = false,
            RedirectStandardInput = true,   // held open: the server exits when its stdin ends
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(script);
        start.Environment["DEMO_SIDECAR_DLL"] = Repository.DemoSidecarDll;   // the proto comes from this build's --describe proto
        var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            process.Dispose();
            throw new InvalidOperationException($"node could not be started ({e.Message}): Node.js is required for the grpc-js interop tests (apt-get install nodejs npm).", e);
        }
        var server = new GrpcJsServer(process);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (server._stderr) server._stderr.AppendLine(e.Data);
        };
        process.BeginErrorReadLine();
        try
        {
            using var timeout = new CancellationTokenSource(s_startTimeout);
            string? line = await process.StandardOutput.ReadLineAsync(timeout.Token);
            if (line is null)
            {
                // It ended before listening: let its stderr (the reason) arrive before reporting it.
                using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try { await process.WaitForExitAsync(exit.Token); } catch (OperationCanceledException) { }
            }
            Assert.True(line is not null && line.StartsWith("LISTENING ", StringComparison.Ordinal),
                $"grpc-demo-server.mjs printed '{line}' instead of 'LISTENING 127.0.0.1:<port>'; stderr:\n{server.Stderr}");
            server.Address = line!["LISTENING ".Length..].Trim();
            Assert.Matches(@"^127\.0\.0\.1:\d+$", server.Address);
            return server;
        }
        catch (OperationCanceledException)
        {
            await server.DisposeAsync();
            throw new TimeoutException($"grpc-demo-server.mjs printed no LISTENING line within {s_startTimeout.TotalSeconds:0} s; stderr:\n{server.Stderr}");
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until the server's stderr holds <paramref name="text"/>.</summary>
    public Task WaitForStderrAsync(string text) => GrpcSidecarTests.WaitForAsync(() => Stderr.Contains(text, StringComparison.Ordinal));

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException) { }
        finally
        {
            _process.Dispose();
        }
    }
}

/// <summary>One grpc-js demo server for the class's tests; killed at the end.</summary>
public sealed class GrpcJsServerFixture : IAsyncLifetime
{
    public GrpcJsServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await GrpcJsServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (Server is not null) await Server.DisposeAsync();
    }
}

/// <summary>
/// SidecarKit's gRPC client (<see cref="GrpcSidecarChannel"/> and the generated <see cref="IDemo"/> proxy) against a
/// server of another implementation, @grpc/grpc-js: results, statuses and their sidecar-error-code trailers,
/// deadlines, cancellation (unary and mid-stream), a 1 MiB message, notifications, and the server exiting mid-call.
/// </summary>
public class GrpcJsServerTests(GrpcJsServerFixture fixture) : IClassFixture<GrpcJsServerFixture>, IAsyncLifetime
{
    private GrpcSidecarChannel _channel = null!;
    private IDemo _demo = null!;

    private GrpcJsServer Server => fixture.Server;

    public Task InitializeAsync()
    {
        _channel = GrpcSidecarChannel.Create(Server.Address);
        _demo = _channel.GetClient<IDemo>();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _channel.DisposeAsync();

    [Fact]
    public async Task Add_and_its_overflow_status()
    {
        Assert.Equal(5, await _demo.AddAsync(2, 3));
        Assert.Equal(-1, await _demo.AddAsync(int.MinValue, int.MaxValue));
        Assert.Equal(0, await _demo.AddAsync(0, 0));   // an all-default response: an empty message
        var overflow = await Assert.ThrowsAsync<GrpcStatusException>(() => _demo.AddAsync(int.MaxValue, 1));
        Assert.Equal((GrpcStatusCode.InvalidArgument, -32602), (overflow.Status, overflow.Code));
        Assert.Contains("overflows", overflow.Message);
        Assert.Equal("demo.add", overflow.Method);
    }

    [Fact]
    public async Task Echo_of_a_full_and_an_empty_person()
    {
        var person = new Person("Ada 𝄞 ✓", 36, ["math", ""], new DemoAddress("12 St James's Square", "London"),
            new DateTimeOffset(1815, 12, 10, 8, 30, 0, TimeSpan.Zero).AddTicks(1_234_567));
        Assert.Equivalent(person, await _demo.EchoAsync(person), strict: true);
        var recent = person with { Born = new DateTimeOffset(2024, 2, 29, 23, 59, 59, 999, TimeSpan.Zero), Address = null, Tags = [] };
        Assert.Equivalent(recent, await _demo.EchoAsync(recent), strict: true);
        var bare = new Person("", 0, [], null, null);
        Assert.Equivalent(bare, await _demo.EchoAsync(bare), strict: true);
    }

    [Fact]
    public async Task Divide_and_division_by_zero()
    {
        Assert.Equal(2.5, await _demo.DivideAsync(5, 2));
        Assert.True(double.IsNaN(await _demo.DivideAsync(double.NaN, 1)));
        var divide = await Assert.ThrowsAsync<GrpcStatusException>(() => _demo.DivideAsync(1, 0));
        Assert.Equal((GrpcStatusCode.Unknown, -32010, "division by zero"), (divide.Status, divide.Code, divide.Message));
        Assert.Equal("demo.divide", divide.Method);
    }

    [Fact]
    public async Task Count_streams_every_item()
    {
        var items = new List<int>();
        await foreach (int i in _demo.CountAsync(1000)) items.Add(i);
        Assert.Equal(Enumerable.Range(1, 1000), items);
        await foreach (int _ in _demo.CountAsync(0)) Assert.Fail("count 0 streams nothing");
    }

    [Fact]
    public async Task Count_cancelled_mid_stream_reaches_the_server_and_the_channel_goes_on()
    {
        using var cts = new CancellationTokenSource();
        int seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (int i in _demo.CountAsync(10_000_000, cts.Token))
                if (++seen == 10) cts.Cancel();
        });
        Assert.Equal(10, seen);
        // The reset reached grpc-js: its handler saw the call cancelled and stopped writing.
        await Server.WaitForStderrAsync("demo.count: cancelled after");
        Assert.Equal(7, await _demo.AddAsync(3, 4));
        var items = new List<int>();
        await foreach (int i in _demo.CountAsync(3)) items.Add(i);
        Assert.Equal([1, 2, 3], items);
    }

    [Fact]
    public async Task Sleep_returns_and_a_deadline_ends_it()
    {
        Assert.Equal("slept", await _demo.SleepAsync(10));
        var watch = Stopwatch.StartNew();
        using (SidecarCall.WithTimeout(TimeSpan.FromMilliseconds(300)))
        {
            var timeout = await Assert.ThrowsAsync<SidecarTimeoutException>(() => _demo.SleepAsync(60_000));
            Assert.Equal("demo.sleep", timeout.Method);
        }
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), watch.Elapsed.ToString());
        // The deadline (grpc-timeout, or the reset that follows it) reached grpc-js: the sleep there was cancelled.
        await Server.WaitForStderrAsync("demo.sleep: cancelled (60000 ms asked)");
        using (SidecarCall.WithTimeout(TimeSpan.FromSeconds(10)))
            Assert.Equal("slept", await _demo.SleepAsync(50));
    }

    [Fact]
    public async Task Sleep_cancelled_by_the_caller()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var watch = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _demo.SleepAsync(45_000, cts.Token));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), watch.Elapsed.ToString());
        await Server.WaitForStderrAsync("demo.sleep: cancelled (45000 ms asked)");
        Assert.Equal(2, await _demo.AddAsync(1, 1));
    }

    [Fact]
    public async Task Blob_of_one_MiB()
    {
        byte[] blob = await _demo.BlobAsync(1 << 20);
        Assert.Equal(1 << 20, blob.Length);
        for (int i = 0; i < blob.Length; i++)
            if (blob[i] != (byte)(i % 256)) Assert.Fail($"byte {i} is {blob[i]}, not {i % 256}");
        Assert.Empty(await _demo.BlobAsync(0));
    }

    [Fact]
    public async Task A_message_over_the_clients_limit_is_resource_exhausted_and_the_channel_goes_on()
    {
        // grpc-js sends 5 MiB (it has no send limit); this client takes 4 MiB by default.
        var tooBig = await Assert.ThrowsAsync<GrpcStatusException>(() => _demo.BlobAsync(5 << 20));
        Assert.Equal(GrpcStatusCode.ResourceExhausted, tooBig.Status);
        // Just under the limit: the message is the bytes, a tag and a 4-byte length.
        Assert.Equal((4 << 20) - 16, (await _demo.BlobAsync((4 << 20) - 16)).Length);
        Assert.Equal(3, await _demo.AddAsync(1, 2));
    }

    [Fact]
    public async Task Compressed_requests_are_read_by_grpc_js()
    {
        await using var channel = GrpcSidecarChannel.Create(Server.Address, new GrpcClientOptions { CompressRequests = true });
        IDemo demo = channel.GetClient<IDemo>();
        Assert.Equal(5, await demo.AddAsync(2, 3));
        var person = new Person(new string('a', 10_000), 1, Enumerable.Repeat("tag", 500).ToArray(), new DemoAddress("s", "c"), DateTimeOffset.UnixEpoch);
        Assert.Equivalent(person, await demo.EchoAsync(person), strict: true);
    }

    [Fact]
    public async Task A_status_without_sidecar_error_code_gets_the_code_of_its_status()
    {
        // grpc-js answers demo.work UNIMPLEMENTED with no sidecar-error-code trailer, as any other server would.
        var work = await Assert.ThrowsAsync<GrpcStatusException>(() => _demo.WorkAsync(1));
        Assert.Equal((GrpcStatusCode.Unimplemented, RpcErrorCodes.MethodNotFound, "demo.work"), (work.Status, work.Code, work.Method));
        // grpc-message as grpc-js percent-encodes it, decoded.
        Assert.Equal("demo.work needs callbacks to the parent — not made by this server ✗ (100% sure)", work.Message);
    }

    [Fact]
    public async Task Log_reaches_the_server()
    {
        string marker = "csharp-to-grpc-js-" + Guid.NewGuid().ToString("N");
        _demo.Log(marker);
        await Server.WaitForStderrAsync("demo.log: " + marker);
    }

    [Fact]
    public async Task Calls_at_once_share_the_connection()
    {
        // Order, not time: the sleep is still running when every add has answered.
        using var cts = new CancellationTokenSource();
        Task<string> sleeping = _demo.SleepAsync(60_000, cts.Token);
        int[] sums = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => _demo.AddAsync(i, i)));
        Assert.Equal(Enumerable.Range(0, 50).Select(i => 2 * i), sums);
        Assert.False(sleeping.IsCompleted, "the adds waited for the sleep");
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sleeping);
    }

    // Its own server: this one is gone afterwards.
    [Fact]
    public async Task Exit_ends_the_server_with_its_code_and_calls_in_flight_fail_as_unavailable()
    {
        await using GrpcJsServer server = await GrpcJsServer.StartAsync();
        await using var channel = GrpcSidecarChannel.Create(server.Address);
        IDemo demo = channel.GetClient<IDemo>();
        Assert.Equal(3, await demo.AddAsync(1, 2));
        Task<string> sleeping = demo.SleepAsync(30_000);
        await Task.Delay(200);
        Task exiting = demo.ExitAsync(7);
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
            await server.Process.WaitForExitAsync(timeout.Token);
        Assert.Equal(7, server.Process.ExitCode);
        var lost = await Assert.ThrowsAsync<GrpcStatusException>(() => sleeping);
        Assert.Equal((GrpcStatusCode.Unavailable, "demo.sleep"), (lost.Status, lost.Method));
        var exit = await Assert.ThrowsAsync<GrpcStatusException>(() => exiting);
        Assert.Equal(GrpcStatusCode.Unavailable, exit.Status);
    }
}
