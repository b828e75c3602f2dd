using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using SidecarKit.Rpc;

namespace SidecarKit.Hosting;

/// <summary>The scope of each connection (<see cref="SidecarContractLifetime.PerConnection"/>), found by its channel.</summary>
internal static class ConnectionScopes
{
    private static readonly ConditionalWeakTable<RpcChannel, IServiceProvider> s_scopes = [];

    /// <summary>Opens the connection's scope (<see cref="SidecarHostBuilder.OnConnectionOpened"/>); disposing what it returns closes it.</summary>
    public static IAsyncDisposable Open(IServiceScopeFactory factory, RpcChannel channel)
    {
        AsyncServiceScope scope = factory.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<SidecarConnection>().Channel = channel;
        s_scopes.AddOrUpdate(channel, scope.ServiceProvider);
        return new Opened(scope, channel);
    }

    public static IServiceProvider Of(RpcChannel channel)
        => s_scopes.TryGetValue(channel, out IServiceProvider? services) ? services
            : throw new InvalidOperationException("This connection has no scope: its contracts were not added through AddSidecar.");

    private sealed class Opened(AsyncServiceScope scope, RpcChannel channel) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            s_scopes.Remove(channel);
            return scope.DisposeAsync();
        }
    }
}

/// <summary>
/// The connection to the parent that a call came over, in the scope of a connection or a call
/// (<see cref="SidecarContractLifetime.PerConnection"/>, <see cref="SidecarContractLifetime.PerCall"/>): take it in a
/// constructor to call the parent's callback contracts. Each contract declared with
/// <see cref="SidecarServiceBuilder.AddCallbackContract{TCallback}"/> can be taken directly too.
/// </summary>
public sealed class SidecarConnection
{
    private RpcChannel? _channel;

    internal SidecarConnection() { }

    /// <summary>The connection's channel.</summary>
    /// <exception cref="InvalidOperationException">Outside the scope of a connection or a call (in a singleton, for example).</exception>
    public RpcChannel Channel
    {
        get => _channel ?? throw new InvalidOperationException(
            "A SidecarConnection is only available in the scope of a connection or a call (SidecarContractLifetime.PerConnection or PerCall), not to singletons.");
        internal set => _channel = value;
    }

    /// <summary>A client of <typeparamref name="TCallback"/>, a contract the parent serves, over this connection.</summary>
    public TCallback GetClient<TCallback>() where TCallback : class, ISidecarContract<TCallback> => Channel.GetClient<TCallback>();
}
