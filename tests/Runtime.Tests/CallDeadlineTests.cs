using System.Runtime.CompilerServices;
using SidecarKit.Rpc;
using SidecarKit.Tests.Support;

namespace SidecarKit.Runtime.Tests;

/// <summary>
/// A call's budget is resolved once, where the proxy enters the channels, as an absolute deadline that every hop
/// shares (<see cref="RpcCallOptions"/>): time spent in a decorator is taken from the budget of the hops after it.
/// </summary>
public class CallDeadlineTests
{
    private static readonly MethodDescriptor Unary = new("t", "t.unary", "UnaryAsync", MethodKind.Unary);
    private static readonly MethodDescriptor UnaryWithTimeout = new("t", "t.slow", "SlowAsync", MethodKind.Unary, timeoutMilliseconds: 7000);
    private static readonly MethodDescriptor Stream = new("t", "t.items", "ItemsAsync", MethodKind.ServerStream);

    [Fact]
    public void The_budget_is_the_scope_then_the_method_then_the_channel_default()
    {
        TimeSpan fallback = TimeSpan.FromSeconds(12);
        Assert.Equal(fallback, RpcCallOptions.For(Unary, fallback).Timeout);
        Assert.Equal(TimeSpan.FromSeconds(7), RpcCallOptions.For(UnaryWithTimeout, fallback).Timeout);
        using (SidecarCall.WithTimeout(TimeSpan.FromMilliseconds(250)))
        {
            Assert.Equal(TimeSpan.FromMilliseconds(250), RpcCallOptions.For(Unary, fallback).Timeout);
            Assert.Equal(TimeSpan.FromMilliseconds(250), RpcCallOptions.For(UnaryWithTimeout, fallback).Timeout);
            Assert.Equal(TimeSpan.FromMilliseconds(250), RpcCallOptions.For(Stream, fallback).Timeout);
        }
    }

    [Fact]
    public void Streams_get_no_default_deadline()
    {
        RpcCallOptions options = RpcCallOptions.For(Stream, TimeSpan.FromSeconds(12));
        Assert.False(options.HasDeadline);
        Assert.Equal(Timeout.InfiniteTimeSpan, options.Remaining);
        Assert.Null(options.DeadlineUtc);
        Assert.Equal(long.MaxValue, options.DeadlineTicks);
    }

    [Fact]
    public void What_remains_never_exceeds_the_budget_and_an_empty_budget_is_spent()
    {
        var options = new RpcCallOptions(TimeSpan.FromSeconds(5));
        Assert.True(options.HasDeadline);
        Assert.InRange(options.Remaining, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        Assert.InRange(options.DeadlineUtc!.Value, DateTime.UtcNow, DateTime.UtcNow.AddSeconds(5.1));
        var spent = new RpcCallOptions(TimeSpan.Zero);
        Assert.True(spent.HasDeadline);
        Assert.Equal(TimeSpan.Zero, spent.Remaining);
        Assert.Equal(Timeout.InfiniteTimeSpan, default(RpcCallOptions).Remaining);   // default: no deadline
    }

    [Fact]
    public async Task The_proxy_resolves_the_budget_with_the_channel_default_and_decorators_pass_it_on()
    {
        await using Engine engine = Engine.Start(new RpcConnectionOptions { DefaultCallTimeout = TimeSpan.FromSeconds(42) });
        var recorder = new DelayingChannel(engine.Pair.Client, TimeSpan.Zero);
        Assert.Equal(5, await recorder.GetClient<IEngine>().EchoAsync(5));
        Assert.Equal(TimeSpan.FromSeconds(42), recorder.Seen!.Value.Timeout);   // the inner channel's default, through the decorator
        using (SidecarCall.WithTimeout(TimeSpan.FromSeconds(3)))
            Assert.Equal(6, await recorder.GetClient<IEngine>().EchoAsync(6));
        Assert.Equal(TimeSpan.FromSeconds(3), recorder.Seen!.Value.Timeout);
    }

    [Fact]
    public async Task Time_spent_before_the_connection_comes_out_of_the_same_budget()
    {
        // Each hop alone fits the 1 s budget (a decorator's 600 ms wait, a 600 ms call), together they do not. Were the
        // budget resolved again per hop, the call would succeed after 1.2 s.
        await using Engine engine = Engine.Start();
        var waiting = new DelayingChannel(engine.Pair.Client, TimeSpan.FromMilliseconds(600));
        IEngine client = waiting.GetClient<IEngine>();
        SidecarTimeoutException e;
        using (SidecarCall.WithTimeout(TimeSpan.FromSeconds(1)))
            e = await Assert.ThrowsAsync<SidecarTimeoutException>(() => client.SleepAsync(600));
        Assert.Equal(TimeSpan.FromSeconds(1), e.Timeout);   // reported as the call's budget, not what was left of it
        await Engine.Eventually(() => engine.Pair.Server.ActiveRequestCount == 0, "the sidecar was told to cancel the sleep");
    }

    /// <summary>A user's decorator: waits (as a supervisor waits for a ready instance), then forwards with the same options.</summary>
    private sealed class DelayingChannel(RpcChannel inner, TimeSpan delay) : RpcChannel
    {
        public RpcCallOptions? Seen { get; private set; }

        public override TimeSpan DefaultCallTimeout => inner.DefaultCallTimeout;

        public override async Task<TResult> InvokeAsync<TArgs, TResult, TCodec>(MethodDescriptor method, TArgs args, RpcCallOptions options, CancellationToken cancellationToken)
        {
            Seen = options;
            await Task.Delay(delay, cancellationToken);
            return await inner.InvokeAsync<TArgs, TResult, TCodec>(method, args, options, cancellationToken);
        }

        public override async IAsyncEnumerable<TItem> InvokeStreamAsync<TArgs, TItem, TCodec>(MethodDescriptor method, TArgs args, RpcCallOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            Seen = options;
            await foreach (TItem item in inner.InvokeStreamAsync<TArgs, TItem, TCodec>(method, args, options, cancellationToken))
                yield return item;
        }

        public override void Notify<TArgs>(MethodDescriptor method, TArgs args) => inner.Notify(method, args);
    }
}
