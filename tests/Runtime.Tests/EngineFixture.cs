using SidecarKit.Rpc;
using SidecarKit.Tests.Support;

namespace SidecarKit.Runtime.Tests;

/// <summary>A client and a server connection over in-memory pipes; the server serves IEngine, the client IParent.</summary>
internal sealed class Engine : IAsyncDisposable
{
    private Engine(ConnectionPair pair, EngineService service)
    {
        Pair = pair;
        Service = service;
        Client = pair.Client.GetClient<IEngine>();
    }

    public ConnectionPair Pair { get; }
    public EngineService Service { get; }
    public IEngine Client { get; }

    public static Engine Start(RpcConnectionOptions? clientOptions = null, RpcConnectionOptions? serverOptions = null)
    {
        var accessor = new RpcChannelAccessor();
        var service = new EngineService(accessor);
        ConnectionPair pair = ConnectionPair.Create(
            new RpcHandlerTable().AddContract<IEngine>(service),
            new RpcHandlerTable().AddContract<IParent>(new DoublingParent()),
            clientOptions, serverOptions);
        accessor.Channel = pair.Server;
        return new Engine(pair, service);
    }

    public ValueTask DisposeAsync() => Pair.DisposeAsync();

    /// <summary>Waits until <paramref name="condition"/> holds, failing after a generous bound (never a timing assert).</summary>
    public static async Task Eventually(Func<bool> condition, string what, int seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"Timed out waiting for: {what}");
            await Task.Delay(10);
        }
    }
}
