using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SidecarKit.Rpc;

namespace SidecarKit.Hosting;

/// <summary>
/// Configures the sidecar that a Generic Host runs (<see cref="SidecarHostApplicationBuilderExtensions.AddSidecar"/>):
/// its contracts, resolved from the host's services, and, through <see cref="ConfigureHost(Action{SidecarHostBuilder})"/>,
/// what a <see cref="SidecarHostBuilder"/> configures (transports, description formats).
/// </summary>
public sealed class SidecarServiceBuilder
{
    private readonly List<Action<SidecarHostBuilder, IServiceProvider>> _steps = [];
    private bool _connectionScopes;

    internal SidecarServiceBuilder(IServiceCollection services, SidecarHostBuilder host)
    {
        Services = services;
        Host = host;
    }

    /// <summary>The host's services: register the contracts' dependencies here or on the host builder.</summary>
    public IServiceCollection Services { get; }

    /// <summary>The sidecar's settings; the command line (<c>--transport</c>, <c>--log-level</c>, …) has already been applied.</summary>
    public SidecarHostOptions Options => Host.Options;

    /// <summary>The command line the sidecar was added with.</summary>
    public IReadOnlyList<string> Arguments => Host.Arguments;

    internal SidecarHostBuilder Host { get; }

    internal bool UsesConnectionScopes => _connectionScopes;

    /// <summary>
    /// Configures the <see cref="SidecarHostBuilder"/> the sidecar is built with, when the host starts and its logging is
    /// in place: the transports (<c>h =&gt; h.AddJsonLines().AddMessagePack()</c>), description formats, and contracts
    /// served the plain way.
    /// </summary>
    public SidecarServiceBuilder ConfigureHost(Action<SidecarHostBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        _steps.Add((host, _) => configure(host));
        return this;
    }

    /// <summary>As <see cref="ConfigureHost(Action{SidecarHostBuilder})"/>, with the host's services.</summary>
    public SidecarServiceBuilder ConfigureHost(Action<SidecarHostBuilder, IServiceProvider> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        _steps.Add(configure);
        return this;
    }

    /// <summary>
    /// Serves <typeparamref name="TContract"/> with <typeparamref name="TImplementation"/>, resolved from the host's
    /// services for the <paramref name="lifetime"/> given: its constructor takes whatever the container has. The
    /// implementation is registered (singleton or scoped) unless it already is.
    /// </summary>
    public SidecarServiceBuilder AddContract<TContract, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TImplementation>(
        SidecarContractLifetime lifetime = SidecarContractLifetime.Singleton)
        where TContract : class, ISidecarContract<TContract>
        where TImplementation : class, TContract
    {
        switch (lifetime)
        {
            case SidecarContractLifetime.Singleton:
                Services.TryAddSingleton<TImplementation>();
                _steps.Add((host, services) => host.AddContract<TContract>(_ => services.GetRequiredService<TImplementation>()));
                break;
            case SidecarContractLifetime.PerConnection:
                Services.TryAddScoped<TImplementation>();
                _connectionScopes = true;
                _steps.Add((host, _) => host.AddContract<TContract>(channel => ConnectionScopes.Of(channel).GetRequiredService<TImplementation>()));
                break;
            case SidecarContractLifetime.PerCall:
                Services.TryAddScoped<TImplementation>();
                _steps.Add((host, services) =>
                {
                    var handlers = new PerCallHandlers<TContract>(services.GetRequiredService<IServiceScopeFactory>(),
                        scoped => scoped.GetRequiredService<TImplementation>());
                    host.AddContractHandlers<TContract>(handlers.AddTo);
                });
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(lifetime), lifetime, null);
        }
        return this;
    }

    /// <summary>
    /// Serves <typeparamref name="TContract"/> with an implementation <paramref name="factory"/> makes per connection,
    /// from the connection's scope (see <see cref="SidecarContractLifetime.PerConnection"/>) and its channel, from
    /// which it gets clients of the parent's callback contracts (<c>channel.GetClient&lt;IEvents&gt;()</c>).
    /// </summary>
    public SidecarServiceBuilder AddContract<TContract>(Func<IServiceProvider, RpcChannel, TContract> factory)
        where TContract : class, ISidecarContract<TContract>
    {
        ArgumentNullException.ThrowIfNull(factory);
        _connectionScopes = true;
        _steps.Add((host, _) => host.AddContract<TContract>(channel => factory(ConnectionScopes.Of(channel), channel)));
        return this;
    }

    /// <summary>
    /// Declares a callback contract the sidecar calls on its parent (<see cref="SidecarHostBuilder.AddCallbackContract{TCallback}"/>),
    /// and registers <typeparamref name="TCallback"/> as a scoped service: in the scope of a connection or a call, a
    /// client of the parent over that connection.
    /// </summary>
    public SidecarServiceBuilder AddCallbackContract<TCallback>() where TCallback : class, ISidecarContract<TCallback>
    {
        Services.TryAddScoped(services => services.GetRequiredService<SidecarConnection>().GetClient<TCallback>());
        _steps.Add((host, _) => host.AddCallbackContract<TCallback>());
        return this;
    }

    /// <summary>
    /// Work that must finish before the sidecar reports ready (<see cref="SidecarHostBuilder.AddStartupTask"/>), with the
    /// host's services. The sidecar also waits for the host to have started every <c>IHostedService</c>.
    /// </summary>
    public SidecarServiceBuilder AddStartupTask(Func<IServiceProvider, CancellationToken, Task> startup)
    {
        ArgumentNullException.ThrowIfNull(startup);
        _steps.Add((host, services) => host.AddStartupTask(ct => startup(services, ct)));
        return this;
    }

    internal void Apply(SidecarHostBuilder host, IServiceProvider services)
    {
        foreach (Action<SidecarHostBuilder, IServiceProvider> step in _steps) step(host, services);
    }
}
