using SidecarKit.Rpc;
using Xunit;

namespace SidecarKit.Tests.Support;

/// <summary>
/// A test class base: a client of <see cref="ITypes"/> connected to an echo implementation over in-memory pipes, in the
/// protocol given (JSON-RPC by default). A new connection per test.
/// </summary>
public abstract class TypesEchoConnection(Func<RpcProtocol>? protocol = null) : IAsyncLifetime
{
    private ConnectionPair _pair = null!;

    /// <summary>The client; every call is echoed back through the generated codecs.</summary>
    protected ITypes Types { get; private set; } = null!;

    public Task InitializeAsync()
    {
        _pair = ConnectionPair.Create(new RpcHandlerTable().AddContract<ITypes>(new EchoTypes()), protocol: protocol);
        Types = _pair.Client.GetClient<ITypes>();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _pair.DisposeAsync();
}
