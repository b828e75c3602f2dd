using Microsoft.Extensions.DependencyInjection;

namespace SidecarKit.Extensions.Hosting;

/// <summary>
/// One registered sidecar, returned by <c>AddSidecar</c> to configure it further:
/// <c>services.AddSidecar&lt;IDemo&gt;("demo", ...).AddCallbacks&lt;IDemoEvents, DemoEvents&gt;()</c>.
/// </summary>
public interface ISidecarBuilder
{
    /// <summary>The sidecar's name.</summary>
    string Name { get; }

    /// <summary>The service collection it is registered in.</summary>
    IServiceCollection Services { get; }
}

internal sealed class SidecarBuilder(IServiceCollection services, SidecarRegistration registration) : ISidecarBuilder
{
    public string Name => registration.Name;

    public IServiceCollection Services => services;

    internal SidecarRegistration Registration => registration;
}
