using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using SidecarKit.Configuration;
using SidecarKit.Extensions.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers sidecars declared in configuration (the schema: docs/lifecycle.md, "Sidecars declared in configuration").</summary>
public static class SidecarConfigurationServiceCollectionExtensions
{
    /// <summary>
    /// Registers every sidecar declared under <paramref name="sidecars"/> (usually <c>configuration.GetSection("Sidecars")</c>;
    /// each child section is one sidecar, named by its key) with the same hosted service and registry as
    /// <c>AddSidecar&lt;TContract&gt;</c>: started with the host (in the order of the
    /// configuration's keys, unless <c>StartOnDemand</c>), supervised, stopped gracefully in reverse order, its supervisor
    /// available from <see cref="SidecarRegistry.Get"/> and its health from <see cref="AddSidecarHealthChecks"/>. A sidecar
    /// with <c>Enabled: false</c> is not registered.
    /// </summary>
    /// <remarks>
    /// The sidecars' names are read now; their declarations are bound, validated and translated at host start, all of
    /// them before any starts: a wrong one fails <c>IHost.StartAsync</c> with a <see cref="SidecarConfigurationException"/>
    /// naming every wrong key of that sidecar (for example <c>Sidecars:ollama:Readiness:Kind: unknown probe kind 'htp'</c>).
    /// Add a typed client of a declared sidecar with <c>AddSidecar&lt;TContract&gt;(name)</c> (no configure callback).
    /// </remarks>
    /// <param name="services">The service collection.</param>
    /// <param name="sidecars">The section that holds the sidecars.</param>
    /// <param name="configure">Registers probe kinds and transports beyond the built-in ones, or post-configures every sidecar.</param>
    /// <exception cref="InvalidOperationException">A declared sidecar has the name of one already registered.</exception>
    public static IServiceCollection AddSidecarsFromConfiguration(this IServiceCollection services, IConfiguration sidecars,
        Action<SidecarConfigurationOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(sidecars);
        var options = new SidecarConfigurationOptions();
        configure?.Invoke(options);
        services.TryAddSingleton<SidecarRegistry>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, SidecarHostedService>());
        foreach (IConfigurationSection section in sidecars.GetChildren())
        {
            // Enabled and StartOnDemand decide the registration, so they are read now; a value that is not a boolean is
            // reported at start with the rest (the binder names its key).
            if (bool.TryParse(section[nameof(SidecarSettings.Enabled)], out bool enabled) && !enabled) continue;
            bool.TryParse(section[nameof(SidecarSettings.StartOnDemand)], out bool startOnDemand);
            string name = section.Key;
            if (services.Any(d => d.ServiceType == typeof(SidecarRegistration) && d.ImplementationInstance is SidecarRegistration r && r.Name == name))
                throw new InvalidOperationException($"The sidecar '{name}' declared at {section.Path} is already registered.");
            services.AddSingleton(new SidecarRegistration(name, (_, target) => SidecarConfiguration.Apply(section, target, options), startOnDemand));
        }
        return services;
    }

    /// <summary>
    /// Adds a health check named <c>sidecar:&lt;name&gt;</c> (see <see cref="SidecarHealthCheck"/>) for every sidecar
    /// registered so far, by <c>AddSidecar</c> or <see cref="AddSidecarsFromConfiguration"/>: call it after them.
    /// </summary>
    public static IHealthChecksBuilder AddSidecarHealthChecks(this IHealthChecksBuilder builder, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        string[] names = [.. builder.Services
            .Select(d => d.ServiceType == typeof(SidecarRegistration) ? d.ImplementationInstance as SidecarRegistration : null)
            .OfType<SidecarRegistration>().Select(r => r.Name).Distinct(StringComparer.Ordinal)];
        foreach (string name in names) builder.AddSidecarHealthCheck(name, tags);
        return builder;
    }
}
