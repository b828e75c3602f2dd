using SidecarKit.Rpc;
using SidecarKit.Tests.Support;

namespace SidecarKit.Runtime.Tests;

public class CallEngineTests
{
    [Fact]
    public async Task Thousands_of_concurrent_calls_on_one_connection_are_correlated()
    {
        await using Engine engine = Engine.Start();
        int[] results = await Task.WhenAll(Enumerable.Range(0, 4000).Select(i => engine.Client.EchoAsync(i)));
        Assert.Equal(Enumerable.Range(0, 4000), results); // under the default limit of 4096 running requests (beyond it: -32003)
        Assert.Equal(0, engine.Pair.Client.PendingCallCount);
    }

    [Fact]
    public async Task Cancelling_a_call_ends_it_at_once_here_and_cancels_it_there()
    {
        await using Engine engine = Engine.Start();
        using var cts = new CancellationTokenSource();
        Task<string> call = engine.Client.SleepAsync(60_000, cts.Token);
        await engine.Service.SleepStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        cts.Cancel();
        var e = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.Equal(cts.Token, e.CancellationToken);
        await Engine.Eventually(() => engine.Service.SleepsCancelled == 1, "the server-side handler to observe cancellation");
        await Engine.Eventually(() => engine.Pair.Server.ActiveRequestCount == 0, "the server to finish the request");
    }

    [Fact]
    public async Task An_already_cancelled_token_sends_nothing()
    {
        await using Engine engine = Engine.Start();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => engine.Client.SleepAsync(10, new CancellationToken(true)));
        Assert.False(engine.Service.SleepStarted.Task.IsCompleted);
    }

    [Fact]
    public async Task Default_timeout_fails_the_call_and_cancels_it_remotely()
    {
        await using Engine engine = Engine.Start(clientOptions: new RpcConnectionOptions { DefaultCallTimeout = TimeSpan.FromMilliseconds(200) });
        var e = await Assert.ThrowsAsync<SidecarTimeoutException>(() => engine.Client.SleepAsync(60_000));
        Assert.Equal("engine.sleep", e.Method);
        Assert.Equal(TimeSpan.FromMilliseconds(200), e.Timeout);
        await Engine.Eventually(() => engine.Service.SleepsCancelled == 1, "the remote handler to be cancelled");
    }

    [Fact]
    public async Task Method_timeout_from_the_contract_overrides_the_default()
    {
        await using Engine engine = Engine.Start();
        var e = await Assert.ThrowsAsync<SidecarTimeoutException>(() => engine.Client.ShortTimeoutSleepAsync(60_000));
        Assert.Equal(TimeSpan.FromMilliseconds(150), e.Timeout);
    }

    [Fact]
    public async Task Per_call_timeout_scope_overrides_method_and_default()
    {
        await using Engine engine = Engine.Start();
        using (SidecarCall.WithTimeout(TimeSpan.FromMilliseconds(100)))
        {
            var e = await Assert.ThrowsAsync<SidecarTimeoutException>(() => engine.Client.SleepAsync(60_000));
            Assert.Equal(TimeSpan.FromMilliseconds(100), e.Timeout);
        }
        using (SidecarCall.WithTimeout(Timeout.InfiniteTimeSpan))
            Assert.Equal("slept", await engine.Client.ShortTimeoutSleepAsync(400));
        Assert.Null(SidecarCall.CurrentTimeout);
    }

    [Fact]
    public async Task Application_errors_arrive_with_code_message_and_data()
    {
        await using Engine engine = Engine.Start();
        var e = await Assert.ThrowsAsync<SidecarRemoteException>(() => engine.Client.FailAsync(-32042, "out of widgets"));
        Assert.Equal(-32042, e.Code);
        Assert.Equal("out of widgets", e.Message);
        Assert.Equal("engine.fail", e.Method);
        Assert.Equal("out of widgets", e.ErrorData!.ToJson().GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Unexpected_exceptions_are_internal_errors_naming_the_exception_type()
    {
        await using Engine engine = Engine.Start();
        var e = await Assert.ThrowsAsync<SidecarRemoteException>(() => engine.Client.ThrowAsync("boom"));
        Assert.Equal(RpcErrorCodes.InternalError, e.Code);
        Assert.Equal("boom", e.Message);
        Assert.Equal("System.InvalidOperationException", e.ErrorData!.ToJson().GetProperty("type").GetString());
    }

    [Fact]
    public async Task Notifications_are_delivered()
    {
        await using Engine engine = Engine.Start();
        engine.Client.Fire("ping!");
        Assert.Equal("ping!", await engine.Service.Fired.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task The_server_can_call_the_client_during_a_call()
    {
        await using Engine engine = Engine.Start();
        Assert.Equal(21 * 2 + 1, await engine.Client.AskParentAsync(21));
        int[] many = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => engine.Client.AskParentAsync(i)));
        Assert.Equal(Enumerable.Range(0, 200).Select(i => i * 2 + 1), many);
    }

    [Fact]
    public async Task Calling_a_contract_the_other_side_does_not_serve_is_method_not_found()
    {
        await using Engine engine = Engine.Start();
        // The server serves IEngine only: IParent calls from client to server are unknown there.
        var e = await Assert.ThrowsAsync<SidecarRemoteException>(() => engine.Pair.Client.GetClient<IParent>().DoubleAsync(1));
        Assert.Equal(RpcErrorCodes.MethodNotFound, e.Code);
        Assert.Contains("parent.double", e.Message);
    }

    [Fact]
    public async Task Calls_in_flight_fail_when_the_other_side_goes_away_and_later_calls_fail_the_same_way()
    {
        await using Engine engine = Engine.Start();
        Task<string> inFlight = engine.Client.SleepAsync(60_000);
        await engine.Service.SleepStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await engine.Pair.Server.DisposeAsync();
        var first = await Assert.ThrowsAnyAsync<SidecarException>(() => inFlight);
        var later = await Assert.ThrowsAnyAsync<SidecarException>(() => engine.Client.EchoAsync(1));
        Assert.Same(first, later);
    }

    [Fact]
    public async Task Connection_lost_translator_decides_the_exception()
    {
        await using Engine engine = Engine.Start();
        var crash = new SidecarCrashedException("it died", 3, ["last words"]);
        engine.Pair.Client.ConnectionLost = _ => ValueTask.FromResult<Exception>(crash);
        Task<string> inFlight = engine.Client.SleepAsync(60_000);
        await engine.Service.SleepStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await engine.Pair.Server.DisposeAsync();
        Assert.Same(crash, await Assert.ThrowsAsync<SidecarCrashedException>(() => inFlight));
    }

    [Fact]
    public async Task Draining_refuses_new_requests_and_waits_for_running_ones()
    {
        await using Engine engine = Engine.Start();
        Task<string> running = engine.Client.SleepAsync(300);
        await engine.Service.SleepStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Task drain = engine.Pair.Server.DrainAsync();
        var refused = await Assert.ThrowsAsync<SidecarRemoteException>(() => engine.Client.EchoAsync(1));
        Assert.Equal(RpcErrorCodes.ShuttingDown, refused.Code);
        Assert.Equal("slept", await running);
        await drain.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_handler_that_blocks_its_thread_does_not_stall_other_calls()
    {
        var gate = new ManualResetEventSlim();
        var table = new RpcHandlerTable().AddContract<ISpec>(new BlockingSpec(gate));
        await using ConnectionPair pair = ConnectionPair.Create(table);
        ISpec spec = pair.Client.GetClient<ISpec>();
        Task<int> blocked = spec.SumAsync(1, 1, 1);
        Assert.Equal(3, await spec.SubtractAsync(5, 2)); // answered while SumAsync blocks a thread
        gate.Set();
        Assert.Equal(3, await blocked);
    }

    private sealed class BlockingSpec(ManualResetEventSlim gate) : ISpec
    {
        public Task<int> SubtractAsync(int minuend, int subtrahend) => Task.FromResult(minuend - subtrahend);
        public void Update(int a, int b, int c, int d, int e) { }
        public Task<int> SumAsync(int a, int b, int c) { gate.Wait(TimeSpan.FromSeconds(30)); return Task.FromResult(a + b + c); }
        public void NotifyHello(int value) { }
        public Task<string> GreetAsync(string name, string? title) => Task.FromResult(name);
        public Task<int> SlowAsync(int milliseconds, CancellationToken ct) => Task.FromResult(0);
    }
}
