using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using SidecarKit;
using SidecarKit.Extensions.Hosting;
using SidecarKit.Supervision;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers supervised sidecars and their typed clients in a service collection.</summary>
public static class SidecarServiceCollectionExtensions
{
    /// <summary>
    /// Registers a supervised sidecar named <paramref name="name"/>, a hosted service that starts it with the host
    /// (or on its first call, with <paramref name="startOnDemand"/>) and stops it gracefully, and
    /// <typeparamref name="TContract"/> as a singleton client that survives restarts. Call again with another contract
    /// and the same name (and no <paramref name="configure"/>) to get more clients of the same sidecar.
    /// </summary>
    /// <example>
    /// <code>
    /// services.AddSidecar&lt;IDemo&gt;("demo", options =&gt;
    /// {
    ///     options.Process.FileName = "dotnet";
    ///     options.Process.Arguments.Add("Demo.Sidecar.dll");
    ///     options.Process.UseJsonLines();
    /// });
    /// services.AddHealthChecks().AddSidecarHealthCheck("demo");
    /// </code>
    /// </example>
    public static IServiceCollection AddSidecar<TContract>(this IServiceCollection services, string name,
        Action<SidecarSupervisorOptions>? configure = null, bool startOnDemand = false)
        where TContract : class, ISidecarContract<TContract>
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(name);
        services.TryAddSingleton<SidecarRegistry>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, SidecarHostedService>());
        SidecarRegistration? registration = services
            .Select(d => d.ServiceType == typeof(SidecarRegistration) ? d.ImplementationInstance as SidecarRegistration : null)
            .FirstOrDefault(r => r?.Name == name);
        if (registration is null)
        {
            if (configure is null) throw new ArgumentNullException(nameof(configure), $"The first registration of sidecar '{name}' must configure it.");
            registration = new SidecarRegistration(name, (_, options) => configure(options), startOnDemand);
            services.AddSingleton(registration);
        }
        else if (configure is not null)
        {
            throw new InvalidOperationException($"The sidecar '{name}' is already configured; add more contracts without a configure callback.");
        }
        registration.Contracts.Add(supervisor => supervisor.GetClient<TContract>()); // checked at every start
        services.AddSingleton(sp => sp.GetRequiredService<SidecarRegistry>().Get(name).GetClient<TContract>());
        return services;
    }

    /// <summary>Adds a health check named <c>sidecar:&lt;name&gt;</c> reporting the sidecar's supervised state.</summary>
    public static IHealthChecksBuilder AddSidecarHealthCheck(this IHealthChecksBuilder builder, string name, IEnumerable<string>? tags = null)
        => builder.Add(new HealthCheckRegistration("sidecar:" + name,
            sp => new SidecarHealthCheck(sp.GetRequiredService<SidecarRegistry>().Get(name)), HealthStatus.Unhealthy, tags));
}
