using SidecarKit.Rpc;
using SidecarKit.Samples.Demo;
using SidecarKit.Transports.JsonLines;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;

namespace SidecarKit.Interop.StreamJsonRpc.Tests;

/// <summary>
/// Our generated <see cref="IDemo"/> proxy, on an <see cref="RpcConnection"/> with <c>Content-Length</c> framing, calls a
/// StreamJsonRpc 2.26 server that implements the demo contract, over real OS pipes.
/// </summary>
public sealed class GeneratedProxyToStreamJsonRpcTests : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly OsPipes _pipes = new();
    private readonly StreamJsonRpcDemoServer _server = new();
    private readonly JsonRpc _serverRpc;
    private readonly RpcConnection _connection;
    private readonly IDemo _demo;

    public GeneratedProxyToStreamJsonRpcTests()
    {
        _serverRpc = StreamJsonRpcPeer.HeaderDelimited(_pipes.B.Output, _pipes.B.Input);
        _serverRpc.AddLocalRpcTarget(_server);
        _serverRpc.StartListening();
        _connection = JsonLines.CreateContentLengthConnection(_pipes.A.Input, _pipes.A.Output);
        _connection.Start();
        _demo = _connection.GetClient<IDemo>();
    }

    public async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync();
        _serverRpc.Dispose();
        _pipes.Dispose();
    }

    [Fact]
    public async Task Add()
    {
        Assert.Equal(5, await _demo.AddAsync(2, 3).WaitAsync(Patience));
        // checked: an overflow is an error on the server, and StreamJsonRpc reports it as one.
        await Assert.ThrowsAsync<SidecarRemoteException>(() => _demo.AddAsync(int.MaxValue, 1).WaitAsync(Patience));
    }

    [Fact]
    public async Task Echo_round_trips_the_person()
    {
        var ada = new Person("Ada", 36, ["math", "engines"], new Address("12 St James's Square", "London"),
            new DateTimeOffset(1815, 12, 10, 0, 0, 0, TimeSpan.FromHours(1)));
        Person echoed = await _demo.EchoAsync(ada).WaitAsync(Patience);
        Assert.Equal(ada.Name, echoed.Name);
        Assert.Equal(ada.Age, echoed.Age);
        Assert.Equal(ada.Tags, echoed.Tags);
        Assert.Equal(ada.Address, echoed.Address);
        Assert.Equal(ada.Born, echoed.Born);

        Person bare = await _demo.EchoAsync(new Person("Bob", 0, [], null, null)).WaitAsync(Patience);
        Assert.Equal("Bob", bare.Name);
        Assert.Empty(bare.Tags);
        Assert.Null(bare.Address);
        Assert.Null(bare.Born);
    }

    [Fact]
    public async Task Blob_is_base64_on_both_sides()
    {
        byte[] blob = await _demo.BlobAsync(1000).WaitAsync(Patience);
        Assert.Equal(1000, blob.Length);
        for (int i = 0; i < blob.Length; i++) Assert.Equal((byte)(i % 256), blob[i]);
    }

    [Fact]
    public async Task A_LocalRpcException_reaches_the_proxy_with_its_code_and_message()
    {
        Assert.Equal(2.5, await _demo.DivideAsync(5, 2).WaitAsync(Patience));
        SidecarRemoteException e = await Assert.ThrowsAsync<SidecarRemoteException>(() => _demo.DivideAsync(1, 0).WaitAsync(Patience));
        Assert.Equal(DemoErrors.DivisionByZero, e.Code);
        Assert.Contains("division by zero", e.Message);
    }

    [Fact]
    public async Task A_method_the_server_does_not_have_is_method_not_found()
    {
        SidecarRemoteException e = await Assert.ThrowsAsync<SidecarRemoteException>(() => _demo.WorkAsync(3).WaitAsync(Patience));
        Assert.Equal((int)JsonRpcErrorCode.MethodNotFound, e.Code);
        Assert.Equal(7, await _demo.AddAsync(3, 4).WaitAsync(Patience));
    }

    [Fact]
    public async Task A_notification_arrives()
    {
        _demo.Log("hello from the proxy");
        using var timeout = new CancellationTokenSource(Patience);
        while (true)
        {
            lock (_server.Logged)
                if (_server.Logged.Count > 0) break;
            await Task.Delay(10, timeout.Token);
        }
        lock (_server.Logged) Assert.Equal(["hello from the proxy"], _server.Logged);
    }

    [Fact]
    public async Task Cancelling_the_proxy_call_cancels_the_StreamJsonRpc_method()
    {
        using var cts = new CancellationTokenSource();
        Task<string> sleep = _demo.SleepAsync(600_000, cts.Token);
        await _server.SleepStarted.WaitAsync(Patience);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sleep.WaitAsync(Patience));
        // Our $/cancelRequest {"id":…} is StreamJsonRpc's: the method's token fired.
        await _server.SleepCancelled.WaitAsync(Patience);
        Assert.Equal("slept", await _demo.SleepAsync(1).WaitAsync(Patience));
    }
}
