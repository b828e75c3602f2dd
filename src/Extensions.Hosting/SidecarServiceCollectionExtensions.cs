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
    /// and the same name (and no <paramref name="configure"/>) to get more clients of the same sidecar, or of a sidecar
    /// declared in configuration (<c>AddSidecarsFromConfiguration</c>).
    /// </summary>
    /// <returns>The sidecar's builder: <c>.AddCallbacks&lt;TCallback, TImplementation&gt;()</c>, <c>.Configure(...)</c>.</returns>
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
    public static ISidecarBuilder AddSidecar<TContract>(this IServiceCollection services, string name,
        Action<SidecarSupervisorOptions>? configure = null, bool startOnDemand = false)
        where TContract : class, ISidecarContract<TContract>
        => services.AddSidecarCore<TContract>(name, configure is null ? null : (_, options) => configure(options), startOnDemand, nameof(configure));

    /// <summary>
    /// Registers a supervised sidecar as <see cref="AddSidecar{TContract}(IServiceCollection, string, Action{SidecarSupervisorOptions}?, bool)"/>
    /// does, with a <paramref name="configure"/> that receives the application's <see cref="IServiceProvider"/>: callback
    /// handlers, options, a <see cref="TimeProvider"/> or anything else can come from the container. It runs once, when
    /// the supervisor is first needed (at the latest when the host starts).
    /// </summary>
    /// <example>
    /// <code>
    /// services.AddSingleton&lt;IDemoEvents, DemoEvents&gt;();
    /// services.AddSidecar&lt;IDemo&gt;("demo", (sp, options) =&gt;
    /// {
    ///     options.Process.FileName = "dotnet";
    ///     options.Process.Arguments.Add("Demo.Sidecar.dll");
    ///     options.Process.UseJsonLines();
    ///     options.Process.Callbacks.AddContract&lt;IDemoEvents&gt;(sp.GetRequiredService&lt;IDemoEvents&gt;());
    /// });
    /// </code>
    /// </example>
    public static ISidecarBuilder AddSidecar<TContract>(this IServiceCollection services, string name,
        Action<IServiceProvider, SidecarSupervisorOptions> configure, bool startOnDemand = false)
        where TContract : class, ISidecarContract<TContract>
    {
        ArgumentNullException.ThrowIfNull(configure);
        return services.AddSidecarCore<TContract>(name, configure, startOnDemand, nameof(configure));
    }

    private static SidecarBuilder AddSidecarCore<TContract>(this IServiceCollection services, string name,
        Action<IServiceProvider, SidecarSupervisorOptions>? configure, bool startOnDemand, string parameterName)
        where TContract : class, ISidecarContract<TContract>
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(name);
        services.TryAddSingleton<SidecarRegistry>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, SidecarHostedService>());
        SidecarRegistration? registration = services.FindSidecarRegistration(name);
        if (registration is null)
        {
            if (configure is null) throw new ArgumentNullException(parameterName, $"The first registration of sidecar '{name}' must configure it.");
            registration = new SidecarRegistration(name, configure, startOnDemand);
            services.AddSingleton(registration);
        }
        else if (configure is not null)
        {
            throw new InvalidOperationException($"The sidecar '{name}' is already configured; add more contracts without a configure callback.");
        }
        registration.Contracts.Add(supervisor => supervisor.GetClient<TContract>()); // checked at every start
        services.AddSingleton(sp => sp.GetRequiredService<SidecarRegistry>().Get(name).GetClient<TContract>());
        return new SidecarBuilder(services, registration);
    }

    internal static SidecarRegistration? FindSidecarRegistration(this IServiceCollection services, string name)
        => services
            .Select(d => d.ServiceType == typeof(SidecarRegistration) ? d.ImplementationInstance as SidecarRegistration : null)
            .FirstOrDefault(r => r?.Name == name);

    /// <summary>Adds a health check named <c>sidecar:&lt;name&gt;</c> reporting the sidecar's supervised state.</summary>
    public static IHealthChecksBuilder AddSidecarHealthCheck(this IHealthChecksBuilder builder, string name, IEnumerable<string>? tags = null)
        => builder.Add(new HealthCheckRegistration("sidecar:" + name,
            sp => new SidecarHealthCheck(sp.GetRequiredService<SidecarRegistry>().Get(name)), HealthStatus.Unhealthy, tags));
}
