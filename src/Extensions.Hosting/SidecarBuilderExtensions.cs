using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SidecarKit;
using SidecarKit.Extensions.Hosting;
using SidecarKit.Supervision;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Configures a sidecar registered with <c>AddSidecar</c> further.</summary>
public static class SidecarBuilderExtensions
{
    /// <summary>
    /// Registers <typeparamref name="TImplementation"/> as a singleton (unless it is registered already, in which case that
    /// registration is used) and serves it to the sidecar as its handler of the callback contract
    /// <typeparamref name="TCallback"/>: the sidecar's calls of <typeparamref name="TCallback"/> reach the instance the
    /// container holds, with the dependencies the container gave it.
    /// </summary>
    /// <example>
    /// <code>
    /// services.AddSidecar&lt;IDemo&gt;("demo", options =&gt; ...).AddCallbacks&lt;IDemoEvents, DemoEvents&gt;();
    /// </code>
    /// </example>
    public static ISidecarBuilder AddCallbacks<TCallback, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TImplementation>(this ISidecarBuilder builder)
        where TCallback : class, ISidecarContract<TCallback>
        where TImplementation : class, TCallback
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<TImplementation>();
        return builder.AddCallbacks<TCallback>(sp => sp.GetRequiredService<TImplementation>());
    }

    /// <summary>
    /// Serves the sidecar the handler of the callback contract <typeparamref name="TCallback"/> that
    /// <paramref name="factory"/> makes from the application's services (called once, when the supervisor is created).
    /// </summary>
    /// <example>
    /// <code>
    /// services.AddSidecar&lt;IDemo&gt;("demo").AddCallbacks&lt;IDemoEvents&gt;(sp =&gt; sp.GetRequiredService&lt;IDemoEvents&gt;());
    /// </code>
    /// </example>
    public static ISidecarBuilder AddCallbacks<TCallback>(this ISidecarBuilder builder, Func<IServiceProvider, TCallback> factory)
        where TCallback : class, ISidecarContract<TCallback>
    {
        ArgumentNullException.ThrowIfNull(factory);
        return builder.Configure((sp, options) => options.Process.Callbacks.AddContract(factory(sp)));
    }

    /// <summary>
    /// Runs <paramref name="configure"/> on the sidecar's options after its own configuration (the <c>configure</c> of
    /// <c>AddSidecar</c>, or its declaration in configuration), with the application's services; once, when the
    /// supervisor is created. Useful for a sidecar declared in configuration.
    /// </summary>
    public static ISidecarBuilder Configure(this ISidecarBuilder builder, Action<IServiceProvider, SidecarSupervisorOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        SidecarRegistration registration = builder is SidecarBuilder own ? own.Registration
            : builder.Services.FindSidecarRegistration(builder.Name)
              ?? throw new InvalidOperationException($"No sidecar named '{builder.Name}' is registered.");
        registration.PostConfigure.Add(configure);
        return builder;
    }
}
