using System.Diagnostics;
using SidecarKit.Processes;
using SidecarKit.Rpc;
using SidecarKit.Samples.Demo;
using SidecarKit.Tests.Support;
using DemoAddress = SidecarKit.Samples.Demo.Address;

namespace SidecarKit.Transports.Grpc.Tests;

/// <summary>The demo sidecar served over gRPC (a real process, Kestrel, HTTP/2) and called through the generated proxy on <see cref="GrpcSidecarChannel"/>.</summary>
public class GrpcSidecarTests
{
    internal static SidecarProcessOptions Options(string transport, params string[] extra) => Options(transport, null, extra);

    internal static SidecarProcessOptions Options(string transport, IDemoEvents? events, params string[] extra)
    {
        var options = new SidecarProcessOptions { Name = "demo-" + transport, FileName = "dotnet", ReadyTimeout = TimeSpan.FromSeconds(60) }.UseGrpc();
        if (events is not null) options.Callbacks.AddContract(events);
        else options.RequireCallbacks = false; // the demo calls demoEvents: without events, start it with a warning
        options.Arguments.Add(Repository.DemoSidecarDll);
        options.Arguments.Add("--transport");
        options.Arguments.Add(transport);
        foreach (string a in extra) options.Arguments.Add(a);
        return options;
    }

    [Theory]
    [InlineData("grpc")]
    [InlineData("grpc-unix")]
    public async Task Every_demo_method_works(string transport)
    {
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(Options(transport));
        Assert.Equal(transport, sidecar.ReadyInfo.Transport);
        if (transport == "grpc") Assert.Matches(@"^127\.0\.0\.1:\d+$", sidecar.ReadyInfo.ListenInfo);
        else Assert.True(File.Exists(sidecar.ReadyInfo.ListenInfo), sidecar.ReadyInfo.ListenInfo);
        IDemo demo = sidecar.GetClient<IDemo>();

        Assert.Equal(5, await demo.AddAsync(2, 3));
        var overflow = await Assert.ThrowsAsync<GrpcStatusException>(() => demo.AddAsync(int.MaxValue, 1));
        Assert.Equal((GrpcStatusCode.InvalidArgument, -32602), (overflow.Status, overflow.Code));
        Assert.Equal("demo.add", overflow.Method);

        var person = new Person("Ada 𝄞", 36, ["math", ""], new DemoAddress("St James's Square", "London"), new DateTimeOffset(1815, 12, 10, 0, 0, 0, TimeSpan.Zero));
        Person echoed = await demo.EchoAsync(person);
        Assert.Equivalent(person, echoed, strict: true);
        var bare = new Person("", 0, [], null, null);
        Assert.Equivalent(bare, await demo.EchoAsync(bare), strict: true);

        Assert.Equal(2.5, await demo.DivideAsync(5, 2));
        var divide = await Assert.ThrowsAsync<GrpcStatusException>(() => demo.DivideAsync(1, 0));
        Assert.Equal((GrpcStatusCode.Unknown, -32010, "division by zero"), (divide.Status, divide.Code, divide.Message));

        var items = new List<int>();
        await foreach (int i in demo.CountAsync(100)) items.Add(i);
        Assert.Equal(Enumerable.Range(1, 100), items);
        await foreach (int _ in demo.CountAsync(0)) Assert.Fail("count 0 streams nothing");

        Assert.Equal("slept", await demo.SleepAsync(1));
        byte[] blob = await demo.BlobAsync(1 << 20);
        Assert.Equal(1 << 20, blob.Length);
        Assert.All(Enumerable.Range(0, blob.Length).Where(i => i % 4099 == 0), i => Assert.Equal((byte)(i % 256), blob[i]));
        var tooBig = await Assert.ThrowsAsync<GrpcStatusException>(() => demo.BlobAsync(5 << 20));
        Assert.Equal(GrpcStatusCode.ResourceExhausted, tooBig.Status);

        demo.Log("hello over gRPC");
        await WaitForAsync(() => sidecar.StderrTail.Any(l => l.Contains("hello over gRPC")));

        SidecarHealth health = await sidecar.PingAsync();
        Assert.Equal("ok", health.Status);
        Assert.Equal(0, await sidecar.StopAsync());
        if (transport == "grpc-unix") Assert.False(File.Exists(sidecar.ReadyInfo.ListenInfo), "the socket file is removed at exit");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Callbacks_reach_the_parent_over_the_subscription(bool confirm)
    {
        var events = new Events(confirm);
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(Options("grpc", events));
        IDemo demo = sidecar.GetClient<IDemo>();
        if (confirm)
        {
            Assert.Equal(4, await demo.WorkAsync(4));
        }
        else
        {
            var declined = await Assert.ThrowsAsync<GrpcStatusException>(() => demo.WorkAsync(4));
            Assert.Equal((-32011, "declined by parent", GrpcStatusCode.Unknown), (declined.Code, declined.Message, declined.Status));
        }
        // Notifications travel on the same subscription, before the question; all four arrive.
        await WaitForAsync(() => { lock (events.Progress) return events.Progress.Count == 4; });
        lock (events.Progress) Assert.Equal(new[] { 0, 25, 50, 75 }, events.Progress.Select(p => p.Percent));
        Assert.Equal(["commit?"], events.Questions);
        // Many at once, more than one connection's streams (256): each callback finds its own reply, and the replies
        // never wait behind the calls that wait for them.
        int[] results = await Task.WhenAll(Enumerable.Range(1, 300).Select(i => confirm ? demo.WorkAsync(1 + i % 3) : Task.FromResult(1 + i % 3)));
        Assert.Equal(Enumerable.Range(1, 300).Select(i => 1 + i % 3), results);
        if (!confirm) return;
        // A burst of notifications is delivered whole, in order.
        lock (events.Progress) events.Progress.Clear();
        Assert.Equal(20_000, await demo.WorkAsync(20_000));
        lock (events.Progress) Assert.Equal(Enumerable.Range(0, 20_000).Select(i => 100 * i / 20_000), events.Progress.Select(p => p.Percent));
    }

    [Fact]
    public async Task Notifications_to_the_sidecar_run_in_the_order_sent()
    {
        var options = Options("grpc");
        options.StderrTailLines = 200;
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options);
        IDemo demo = sidecar.GetClient<IDemo>();
        for (int i = 0; i < 100; i++) demo.Log($"n{i:000}");
        await WaitForAsync(() => sidecar.StderrTail.Any(l => l.Contains("n099")));
        string[] logged = [.. sidecar.StderrTail.Select(l => System.Text.RegularExpressions.Regex.Match(l, @"\bn(\d{3})\b")).Where(m => m.Success).Select(m => m.Value)];
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"n{i:000}"), logged);
    }

    [Fact]
    public async Task A_health_watch_sees_not_serving_then_ends_with_a_status_at_shutdown()
    {
        SidecarProcess sidecar = await SidecarProcess.StartAsync(Options("grpc"));
        using var http = new HttpClient(new SocketsHttpHandler());
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://{sidecar.ReadyInfo.ListenInfo}/grpc.health.v1.Health/Watch")
        {
            Version = System.Net.HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent([0, 0, 0, 0, 0]),   // HealthCheckRequest { service = "" }
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/grpc");
        using HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Stream body = await response.Content.ReadAsStreamAsync();
        byte[] serving = new byte[7];
        await body.ReadExactlyAsync(serving);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 2, 0x08, 0x01 }, serving);   // SERVING
        Task<int> stopped = sidecar.StopAsync();
        var rest = new MemoryStream();
        await body.CopyToAsync(rest);                                   // ends with trailers, not a reset
        Assert.Equal(new byte[] { 0, 0, 0, 0, 2, 0x08, 0x02 }, rest.ToArray());   // NOT_SERVING
        Assert.Equal("14", response.TrailingHeaders.GetValues("grpc-status").Single());   // UNAVAILABLE
        Assert.Equal(0, await stopped);
        await sidecar.DisposeAsync();
    }

    [Fact]
    public async Task A_drain_answers_system_calls_and_a_stop_that_cuts_a_call_is_not_a_crash()
    {
        var options = Options("grpc");
        options.ShutdownTimeout = TimeSpan.FromSeconds(1);
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options);
        IDemo demo = sidecar.GetClient<IDemo>();
        Task<string> sleeping = demo.SleepAsync(30_000);
        await Task.Delay(200);
        // StopAsync sends system.shutdown, waits ShutdownTimeout (1 s) for the drain, then escalates with SIGTERM.
        Task<int> stopped = sidecar.StopAsync();
        // Draining: system.ping still answers, and new contract calls are refused with "shutting down".
        await WaitForAsync(async () => (await sidecar.PingAsync()).Status == "draining");
        var refused = await Assert.ThrowsAsync<GrpcStatusException>(() => demo.AddAsync(1, 2));
        Assert.Equal((GrpcStatusCode.Unavailable, -32004), (refused.Status, refused.Code));
        // SIGTERM cancels the call in the sidecar, which answers "cancelled", as on the other transports: not a crash.
        var cancelled = await Assert.ThrowsAsync<GrpcStatusException>(() => sleeping);
        Assert.Equal((GrpcStatusCode.Cancelled, -32800), (cancelled.Status, cancelled.Code));
        Assert.Equal(0, await stopped);
    }

    [Fact]
    public async Task Without_a_subscription_a_callback_fails_clearly()
    {
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(Options("grpc"));
        var e = await Assert.ThrowsAsync<GrpcStatusException>(() => sidecar.GetClient<IDemo>().WorkAsync(2));
        Assert.Equal(GrpcStatusCode.FailedPrecondition, e.Status);
        Assert.Contains("no parent is subscribed", e.Message);
        Assert.Equal(5, await sidecar.GetClient<IDemo>().AddAsync(2, 3));
    }

    private sealed class Events(bool confirm) : IDemoEvents
    {
        public readonly List<(string Task, int Percent)> Progress = [];
        public readonly List<string> Questions = [];

        void IDemoEvents.Progress(string task, int percent) { lock (Progress) Progress.Add((task, percent)); }

        public Task<bool> ConfirmAsync(string question, CancellationToken ct)
        {
            lock (Questions) if (Questions.Count == 0) Questions.Add(question);
            return Task.FromResult(confirm);
        }
    }

    [Fact]
    public async Task Deadlines_and_cancellation_reach_the_sidecar()
    {
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(Options("grpc"));
        IDemo demo = sidecar.GetClient<IDemo>();
        var watch = Stopwatch.StartNew();
        using (SidecarCall.WithTimeout(TimeSpan.FromMilliseconds(300)))
            await Assert.ThrowsAsync<SidecarTimeoutException>(() => demo.SleepAsync(60_000));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), watch.Elapsed.ToString());

        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => demo.SleepAsync(60_000, cts.Token));

        // Cancelling mid-stream resets it; the sidecar goes on serving.
        using var streamCts = new CancellationTokenSource();
        int seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (int i in demo.CountAsync(1_000_000, streamCts.Token))
                if (++seen == 10) streamCts.Cancel();
        });
        Assert.Equal(10, seen);
        // Nothing left running once the resets have landed.
        await WaitForAsync(async () => (await sidecar.PingAsync()).ActiveRequests == 0);
        Assert.Equal(7, await demo.AddAsync(3, 4));
    }

    [Fact]
    public async Task A_crash_mid_call_is_a_crash_with_exit_code_and_stderr()
    {
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(Options("grpc"));
        IDemo demo = sidecar.GetClient<IDemo>();
        Task<string> sleeping = demo.SleepAsync(30_000);
        await Task.Delay(200);
        _ = demo.ExitAsync(3);
        var crashed = await Assert.ThrowsAsync<SidecarCrashedException>(() => sleeping);
        Assert.Equal(3, crashed.ExitCode);
    }

    internal static async Task WaitForAsync(Func<bool> condition) => await WaitForAsync(() => Task.FromResult(condition()));

    internal static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), "condition not met within 20 s");
            await Task.Delay(20);
        }
    }
}
