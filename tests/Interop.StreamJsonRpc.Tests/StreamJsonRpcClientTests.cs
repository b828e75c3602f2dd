using System.Text.Json;
using SidecarKit.Samples.Demo;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;

namespace SidecarKit.Interop.StreamJsonRpc.Tests;

/// <summary>
/// A StreamJsonRpc 2.26 client (<see cref="JsonRpc"/> with <see cref="HeaderDelimitedMessageHandler"/> and
/// <see cref="SystemTextJsonFormatter"/>) calls the real demo sidecar process started with <c>--transport jsonrpc</c>
/// (JSON-RPC with <c>Content-Length</c> headers on stdio), and with <see cref="NewLineDelimitedMessageHandler"/> the same
/// sidecar started with <c>--transport jsonl</c>.
/// </summary>
public sealed class StreamJsonRpcClientTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private sealed class Session : IAsyncDisposable
    {
        public required DemoSidecarProcess Sidecar { get; init; }
        public required JsonRpc Rpc { get; init; }

        public async ValueTask DisposeAsync()
        {
            Rpc.Dispose();
            await Sidecar.DisposeAsync();
        }
    }

    private static Session Start(string transport, object? callbacks = null)
    {
        DemoSidecarProcess sidecar = DemoSidecarProcess.Start(transport);
        JsonRpc rpc = transport == "jsonl"
            ? StreamJsonRpcPeer.NewLineDelimited(sidecar.Input, sidecar.Output)
            : StreamJsonRpcPeer.HeaderDelimited(sidecar.Input, sidecar.Output);
        if (callbacks is not null) rpc.AddLocalRpcTarget(callbacks);
        rpc.StartListening();
        return new Session { Sidecar = sidecar, Rpc = rpc };
    }

    [Theory]
    [InlineData("jsonrpc")]
    [InlineData("jsonl")]
    public async Task Add_by_name_and_by_position(string transport)
    {
        await using Session s = Start(transport);
        Assert.Equal(5, await s.Rpc.InvokeWithParameterObjectAsync<int>("demo.add", new { a = 2, b = 3 }).WaitAsync(Patience));
        Assert.Equal(-7, await s.Rpc.InvokeAsync<int>("demo.add", 3, -10).WaitAsync(Patience));
    }

    [Theory]
    [InlineData("jsonrpc")]
    [InlineData("jsonl")]
    public async Task Echo_returns_the_person_unchanged(string transport)
    {
        await using Session s = Start(transport);
        var ada = new Person("Ada", 36, ["math", "engines"], new Address("12 St James's Square", "London"),
            new DateTimeOffset(1815, 12, 10, 0, 0, 0, TimeSpan.Zero));
        Person echoed = await s.Rpc.InvokeWithParameterObjectAsync<Person>("demo.echo", new { person = ada }).WaitAsync(Patience);
        Assert.Equal(ada.Name, echoed.Name);
        Assert.Equal(ada.Age, echoed.Age);
        Assert.Equal(ada.Tags, echoed.Tags);
        Assert.Equal(ada.Address, echoed.Address);
        Assert.Equal(ada.Born, echoed.Born);

        // The CONFORMANCE.md shape with nulls, checked as raw JSON on the StreamJsonRpc side.
        JsonElement raw = await s.Rpc.InvokeWithParameterObjectAsync<JsonElement>("demo.echo",
            new { person = new { name = "Ada", age = 36, tags = new[] { "math" }, address = (object?)null, born = (object?)null } }).WaitAsync(Patience);
        Assert.Equal("Ada", raw.GetProperty("name").GetString());
        Assert.Equal(36, raw.GetProperty("age").GetInt32());
        Assert.Equal("math", raw.GetProperty("tags")[0].GetString());
        Assert.Equal(JsonValueKind.Null, raw.GetProperty("address").ValueKind);
    }

    [Fact]
    public async Task Division_by_zero_is_a_remote_invocation_exception_with_the_application_code()
    {
        await using Session s = Start("jsonrpc");
        Assert.Equal(2.5, await s.Rpc.InvokeWithParameterObjectAsync<double>("demo.divide", new { dividend = 5.0, divisor = 2.0 }).WaitAsync(Patience));
        RemoteInvocationException e = await Assert.ThrowsAsync<RemoteInvocationException>(
            () => s.Rpc.InvokeWithParameterObjectAsync<double>("demo.divide", new { dividend = 1.0, divisor = 0.0 }).WaitAsync(Patience));
        Assert.Equal(DemoErrors.DivisionByZero, e.ErrorCode);
        Assert.Equal("division by zero", e.Message);
    }

    [Fact]
    public async Task An_unknown_method_is_method_not_found()
    {
        await using Session s = Start("jsonrpc");
        RemoteMethodNotFoundException e = await Assert.ThrowsAsync<RemoteMethodNotFoundException>(
            () => s.Rpc.InvokeWithParameterObjectAsync<int>("demo.nope", new { a = 1 }).WaitAsync(Patience));
        Assert.Equal(JsonRpcErrorCode.MethodNotFound, e.ErrorCode);
        // The connection goes on.
        Assert.Equal(3, await s.Rpc.InvokeWithParameterObjectAsync<int>("demo.add", new { a = 1, b = 2 }).WaitAsync(Patience));
    }

    [Fact]
    public async Task Cancelling_sends_cancel_request_and_the_sidecar_stops_the_call()
    {
        await using Session s = Start("jsonrpc");
        using var cts = new CancellationTokenSource();
        // Ten minutes: only a cancellation that reaches the sidecar ends it within the test's patience.
        Task<string> sleep = s.Rpc.InvokeWithParameterObjectAsync<string>("demo.sleep", new { milliseconds = 600_000 }, cts.Token);
        await WaitForActiveRequestsAsync(s.Rpc, 1);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sleep.WaitAsync(Patience));
        // StreamJsonRpc sent $/cancelRequest {"id":…}: the sidecar cancelled the call (it no longer runs).
        await WaitForActiveRequestsAsync(s.Rpc, 0);
    }

    [Fact]
    public async Task The_sidecar_calls_back_into_the_StreamJsonRpc_client()
    {
        var events = new DemoEventsTarget(confirm: true);
        await using Session s = Start("jsonrpc", events);
        Assert.Equal(4, await s.Rpc.InvokeWithParameterObjectAsync<int>("demo.work", new { steps = 4 }).WaitAsync(Patience));
        Assert.Equal([0, 25, 50, 75], events.Percents);
        Assert.Equal(["commit?"], events.Questions);
    }

    [Fact]
    public async Task The_sidecar_exits_when_the_client_closes_its_stdin()
    {
        DemoSidecarProcess sidecar = DemoSidecarProcess.Start("jsonrpc");
        await using (sidecar)
        {
            using JsonRpc rpc = StreamJsonRpcPeer.HeaderDelimited(sidecar.Input, sidecar.Output);
            rpc.StartListening();
            Assert.Equal(2, await rpc.InvokeWithParameterObjectAsync<int>("demo.add", new { a = 1, b = 1 }).WaitAsync(Patience));
            Assert.Equal(0, await sidecar.StopAsync());
        }
    }

    // system.ping's activeRequests counts the calls running in the sidecar (the ping itself is not one of them).
    private static async Task WaitForActiveRequestsAsync(JsonRpc rpc, int expected)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (true)
        {
            JsonElement health = await rpc.InvokeWithParameterObjectAsync<JsonElement>("system.ping", new { }, timeout.Token);
            if (health.GetProperty("activeRequests").GetInt32() == expected) return;
            await Task.Delay(20, timeout.Token);
        }
    }

    /// <summary>The parent's side of the callback contract, served by StreamJsonRpc.</summary>
    private sealed class DemoEventsTarget(bool confirm)
    {
        public readonly List<int> Percents = [];
        public readonly List<string> Questions = [];

        [JsonRpcMethod("demoEvents.progress")]
        public void Progress(string task, int percent) { lock (Percents) Percents.Add(percent); }

        [JsonRpcMethod("demoEvents.confirm")]
        public bool Confirm(string question)
        {
            lock (Questions) Questions.Add(question);
            return confirm;
        }
    }
}
