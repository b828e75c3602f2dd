using SidecarKit.Tests.Support;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SidecarKit.Probes;

namespace SidecarKit.Runtime.Tests;

/// <summary>The probe kinds against real sockets, a real HTTP client and real output lines.</summary>
public class ProbeTests
{
    private static readonly SidecarProbeContext s_context = new("probed", Environment.ProcessId);

    // A generous budget: the checks below answer at once or fail at once; the token only ends a check that hangs.
    private static CancellationToken Budget => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    private static ValueTask<SidecarProbeResult> CheckAsync(SidecarProbe probe, SidecarProbeContext? context = null)
        => probe.CheckAsync(context ?? s_context, Budget);

    [Fact]
    public async Task Started_passes_at_once()
    {
        SidecarProbe probe = SidecarProbe.Started();
        Assert.Equal(SidecarProbeResult.Pass, await CheckAsync(probe));
        Assert.Equal("the process has started", probe.Description);
        Assert.Equal(probe.Description, probe.ToString());
    }

    // TCP

    [Fact]
    public async Task Tcp_passes_when_a_listener_accepts()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            SidecarProbe probe = SidecarProbe.Tcp("127.0.0.1", port);
            Assert.Equal($"TCP 127.0.0.1:{port} accepts", probe.Description);
            Assert.Equal(SidecarProbeResult.Pass, await CheckAsync(probe));
            using Socket accepted = await listener.AcceptSocketAsync(Budget);   // the probe really connected
            Assert.Equal(SidecarProbeResult.Pass, await CheckAsync(SidecarProbe.Tcp("localhost", port)));
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public async Task Tcp_fails_with_detail_on_a_closed_port()
    {
        int port = Ports.Free();
        SidecarProbeResult result = await CheckAsync(SidecarProbe.Tcp("127.0.0.1", port));
        Assert.False(result.Passed);
        Assert.Contains("ConnectionRefused", result.Detail);
    }

    [Fact]
    public void Tcp_arguments_are_checked()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SidecarProbe.Tcp("127.0.0.1", 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => SidecarProbe.Tcp("127.0.0.1", 65536));
        Assert.Throws<ArgumentException>(() => SidecarProbe.Tcp("", 80));
        Assert.Throws<ArgumentNullException>(() => SidecarProbe.Tcp(null!, 80));
        Assert.Equal("TCP [::1]:80 accepts", SidecarProbe.Tcp("::1", 80).Description);
        Assert.Equal("TCP h:65535 accepts", SidecarProbe.Tcp("h", 65535).Description);
    }

    // HTTP

    [Theory]
    [InlineData(200, true)]
    [InlineData(204, true)]
    [InlineData(299, true)]
    [InlineData(503, false)]
    [InlineData(404, false)]
    [InlineData(302, false)]   // a redirect without a Location is not followed and is not 2xx
    public async Task Http_passes_on_2xx_only(int status, bool passes)
    {
        await using var server = new TinyHttpServer($"HTTP/1.1 {status} Whatever\r\nContent-Length: 0\r\n\r\n");
        SidecarProbe probe = SidecarProbe.Http($"http://127.0.0.1:{server.Port}/health");
        Assert.Equal($"HTTP GET http://127.0.0.1:{server.Port}/health answers 2xx", probe.Description);
        SidecarProbeResult result = await CheckAsync(probe);
        Assert.Equal(passes, result.Passed);
        if (!passes) Assert.Equal($"HTTP {status}", result.Detail);
        string request = await server.FirstRequest;
        Assert.StartsWith("GET /health HTTP/1.1\r\n", request);
        Assert.Contains("Connection: close", request, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Http_does_not_read_the_body()
    {
        // The headers promise a megabyte that never comes, and the connection stays open: reading the body would hang.
        await using var server = new TinyHttpServer("HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\nabc", holdOpen: true);
        Assert.Equal(SidecarProbeResult.Pass, await CheckAsync(SidecarProbe.Http(new Uri($"http://127.0.0.1:{server.Port}/"))));
    }

    [Fact]
    public async Task Http_fails_with_the_connect_error_on_a_closed_port()
    {
        SidecarProbeResult result = await CheckAsync(SidecarProbe.Http($"http://127.0.0.1:{Ports.Free()}/health"));
        Assert.False(result.Passed);
        Assert.Contains("refused", result.Detail, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Http_cancellation_is_thrown_not_reported()
    {
        await using var server = new TinyHttpServer(null);   // accepts, never answers
        using var cts = new CancellationTokenSource();
        ValueTask<SidecarProbeResult> check = SidecarProbe.Http($"http://127.0.0.1:{server.Port}/").CheckAsync(s_context, cts.Token);
        await server.FirstRequest;
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await check);
    }

    [Theory]
    [InlineData("ftp://127.0.0.1/x")]
    [InlineData("/health")]
    [InlineData("127.0.0.1:8000")]
    [InlineData("")]
    public void Http_wants_an_absolute_http_url(string url)
    {
        var e = Assert.Throws<ArgumentException>(() => SidecarProbe.Http(url));
        Assert.Equal("url", e.ParamName);
        Assert.Throws<ArgumentException>(() => SidecarProbe.Http(new Uri("health", UriKind.Relative)));
        Assert.Throws<ArgumentNullException>(() => SidecarProbe.Http((string)null!));
    }

    // Unix socket

    [Fact]
    public async Task UnixSocket_passes_when_a_bound_socket_listens_and_fails_on_a_missing_path()
    {
        string path = Path.Combine(Path.GetTempPath(), $"skp-{Guid.NewGuid():N}"[..16] + ".sock");
        SidecarProbe probe = SidecarProbe.UnixSocket(path);
        Assert.Equal($"Unix socket {path} accepts", probe.Description);

        SidecarProbeResult missing = await CheckAsync(probe);
        Assert.False(missing.Passed);
        Assert.Equal(SidecarProbeResult.Fail($"{path} does not exist"), missing);

        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen();
            Assert.Equal(SidecarProbeResult.Pass, await CheckAsync(probe));
            using Socket accepted = await listener.AcceptAsync(Budget);

            // A socket file that nothing listens on (bound, not listening, as a stale file is): refused.
            using var bound = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            string stalePath = path + ".stale";
            bound.Bind(new UnixDomainSocketEndPoint(stalePath));
            try
            {
                SidecarProbeResult stale = await CheckAsync(SidecarProbe.UnixSocket(stalePath));
                Assert.False(stale.Passed);
                Assert.Contains("ConnectionRefused", stale.Detail);
            }
            finally
            {
                File.Delete(stalePath);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void UnixSocket_arguments_are_checked()
    {
        Assert.Throws<ArgumentException>(() => SidecarProbe.UnixSocket(""));
        Assert.Throws<ArgumentNullException>(() => SidecarProbe.UnixSocket(null!));
        var e = Assert.Throws<ArgumentException>(() => SidecarProbe.UnixSocket("/tmp/" + new string('x', 200)));
        Assert.Equal("path", e.ParamName);
    }

    // Output lines

    [Fact]
    public async Task OutputLine_sees_a_line_printed_after_attach_and_before_the_first_check()
    {
        var context = new SidecarProbeContext("p", 1);
        SidecarProbe probe = SidecarProbe.OutputLine(@"listening on \d+");
        Assert.Equal(@"a line on stdout or stderr matching 'listening on \d+'", probe.Description);
        probe.Attach(context);
        context.OnOutputLine(SidecarOutputStream.StandardError, "starting");
        context.OnOutputLine(SidecarOutputStream.StandardOutput, "now listening on 8080.");
        context.OnOutputLine(SidecarOutputStream.StandardOutput, "later lines change nothing");
        Assert.Equal(SidecarProbeResult.Pass, await CheckAsync(probe, context));
        // A heartbeat (as liveness): each pass needs a new matching line since the last pass.
        Assert.Equal(SidecarProbeResult.Fail(@"no line on stdout or stderr matching 'listening on \d+' since the last check"), await CheckAsync(probe, context));
        context.OnOutputLine(SidecarOutputStream.StandardOutput, "still listening on 8080");
        Assert.Equal(SidecarProbeResult.Pass, await CheckAsync(probe, context));
    }

    [Fact]
    public async Task OutputLine_sees_a_line_printed_between_checks()
    {
        var context = new SidecarProbeContext("p", 1);
        SidecarProbe probe = SidecarProbe.OutputLine("^ready$");
        SidecarProbeResult before = await CheckAsync(probe, context);   // attaches
        Assert.False(before.Passed);
        Assert.Equal("no line on stdout or stderr matching '^ready$' since the last check", before.Detail);
        context.OnOutputLine(SidecarOutputStream.StandardOutput, "not ready");
        Assert.False((await CheckAsync(probe, context)).Passed);
        context.OnOutputLine(SidecarOutputStream.StandardError, "ready");
        Assert.Equal(SidecarProbeResult.Pass, await CheckAsync(probe, context));
    }

    [Fact]
    public async Task OutputLine_watches_only_its_stream()
    {
        var context = new SidecarProbeContext("p", 1);
        SidecarProbe probe = SidecarProbe.OutputLine("ready", SidecarOutputStream.StandardError);
        Assert.Equal("a line on stderr matching 'ready'", probe.Description);
        probe.Attach(context);
        context.OnOutputLine(SidecarOutputStream.StandardOutput, "ready");
        SidecarProbeResult result = await CheckAsync(probe, context);
        Assert.Equal(SidecarProbeResult.Fail("no line on stderr matching 'ready' since the last check"), result);
        context.OnOutputLine(SidecarOutputStream.StandardError, "ready");
        Assert.Equal(SidecarProbeResult.Pass, await CheckAsync(probe, context));
        Assert.Equal("a line on stdout matching 'x'", SidecarProbe.OutputLine("x", SidecarOutputStream.StandardOutput).Description);
    }

    [Fact]
    public async Task OutputLine_keeps_one_watch_per_process()
    {
        // One probe in the options of a sidecar serves each process (a restart makes a new context): each starts unmatched.
        SidecarProbe probe = SidecarProbe.OutputLine("up");
        var first = new SidecarProbeContext("p", 1);
        var second = new SidecarProbeContext("p", 2);
        probe.Attach(first);
        probe.Attach(first);   // attaching twice watches once
        first.OnOutputLine(SidecarOutputStream.StandardOutput, "up");
        Assert.True((await CheckAsync(probe, first)).Passed);
        Assert.False((await CheckAsync(probe, second)).Passed);
        second.OnOutputLine(SidecarOutputStream.StandardOutput, "up");
        Assert.True((await CheckAsync(probe, second)).Passed);
    }

    [Fact]
    public void OutputLine_rejects_an_invalid_pattern_naming_it()
    {
        var e = Assert.Throws<ArgumentException>(() => SidecarProbe.OutputLine("listening (on"));
        Assert.Equal("pattern", e.ParamName);
        Assert.Contains("'listening (on'", e.Message);
        Assert.Throws<ArgumentNullException>(() => SidecarProbe.OutputLine(null!));
    }

    [Fact]
    public async Task OutputLine_matches_culture_invariantly_and_is_case_sensitive_by_default()
    {
        var context = new SidecarProbeContext("p", 1);
        SidecarProbe probe = SidecarProbe.OutputLine("READY");
        probe.Attach(context);
        context.OnOutputLine(SidecarOutputStream.StandardOutput, "ready");
        Assert.False((await CheckAsync(probe, context)).Passed);
        SidecarProbe insensitive = SidecarProbe.OutputLine("(?i)READY");
        insensitive.Attach(context);
        context.OnOutputLine(SidecarOutputStream.StandardOutput, "ready");
        Assert.True((await CheckAsync(insensitive, context)).Passed);
    }

    // Delegate

    [Fact]
    public async Task Delegate_passes_on_true_and_fails_on_false_or_an_exception()
    {
        int calls = 0;
        SidecarProbe yes = SidecarProbe.Delegate("the model is loaded", _ => { calls++; return ValueTask.FromResult(true); });
        Assert.Equal("the model is loaded", yes.Description);
        Assert.Equal(SidecarProbeResult.Pass, await CheckAsync(yes));
        Assert.Equal(1, calls);

        Assert.Equal(SidecarProbeResult.Fail("the check returned false"), await CheckAsync(SidecarProbe.Delegate("no", _ => ValueTask.FromResult(false))));

        SidecarProbeResult thrown = await CheckAsync(SidecarProbe.Delegate("throws", _ => throw new InvalidOperationException("model missing")));
        Assert.Equal(SidecarProbeResult.Fail("InvalidOperationException: model missing"), thrown);

        // A cancellation that is not the check's own token is a failure too (for example the delegate's own timeout).
        SidecarProbeResult own = await CheckAsync(SidecarProbe.Delegate("own timeout", _ => throw new OperationCanceledException("inner")));
        Assert.False(own.Passed);
    }

    [Fact]
    public async Task Delegate_cancellation_by_the_token_is_thrown()
    {
        SidecarProbe probe = SidecarProbe.Delegate("waits", async ct => { await Task.Delay(Timeout.Infinite, ct); return true; });
        using var cts = new CancellationTokenSource();
        ValueTask<SidecarProbeResult> check = probe.CheckAsync(s_context, cts.Token);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await check);
        Assert.Throws<ArgumentException>(() => SidecarProbe.Delegate(" ", _ => ValueTask.FromResult(true)));
        Assert.Throws<ArgumentNullException>(() => SidecarProbe.Delegate("x", null!));
    }


    /// <summary>
    /// An HTTP/1.1 responder on a real socket: reads each request's head and writes <c>response</c> (null: never
    /// answers), then closes the connection unless told to hold it open.
    /// </summary>
    private sealed class TinyHttpServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly TaskCompletionSource<string> _firstRequest = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Task _loop;

        public TinyHttpServer(string? response, bool holdOpen = false)
        {
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _loop = RunAsync(response, holdOpen);
        }

        public int Port { get; }

        /// <summary>The head of the first request (request line and headers).</summary>
        public Task<string> FirstRequest => _firstRequest.Task;

        private async Task RunAsync(string? response, bool holdOpen)
        {
            var held = new List<Socket>();
            try
            {
                while (true)
                {
                    Socket socket = await _listener.AcceptSocketAsync(_stop.Token);
                    held.Add(socket);
                    string head = await ReadHeadAsync(socket);
                    _firstRequest.TrySetResult(head);
                    if (response is null) continue;
                    await socket.SendAsync(Encoding.ASCII.GetBytes(response), _stop.Token);
                    if (!holdOpen) socket.Shutdown(SocketShutdown.Both);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or InvalidOperationException) // the last: accepting again after Stop
            {
                _firstRequest.TrySetException(e);
            }
            finally
            {
                foreach (Socket s in held) s.Dispose();
            }
        }

        private async Task<string> ReadHeadAsync(Socket socket)
        {
            var head = new StringBuilder();
            byte[] buffer = new byte[1024];
            while (!head.ToString().Contains("\r\n\r\n"))
            {
                int n = await socket.ReceiveAsync(buffer, _stop.Token);
                if (n == 0) break;
                head.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }
            return head.ToString();
        }

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            _listener.Stop();
            await _loop;
            _stop.Dispose();
        }
    }
}
