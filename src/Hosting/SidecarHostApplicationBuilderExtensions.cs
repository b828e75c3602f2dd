using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SidecarKit.Logging;
using SidecarKit.Rpc;

namespace SidecarKit.Hosting;

/// <summary>Runs a sidecar on the .NET Generic Host.</summary>
/// <example>
/// <code>
/// HostApplicationBuilder builder = Host.CreateApplicationBuilder(args);
/// builder.Services.AddSingleton&lt;IGreeter, Greeter&gt;();
/// builder.Services.AddHostedService&lt;Heartbeat&gt;();
/// builder.AddSidecar(args, sidecar =&gt; sidecar
///     .ConfigureHost(host =&gt; host.AddJsonLines())
///     .AddContract&lt;IDemo, DemoService&gt;(SidecarContractLifetime.PerCall)
///     .AddCallbackContract&lt;IDemoEvents&gt;());
/// await builder.Build().RunAsync();   // the exit code is the sidecar's (Environment.ExitCode)
/// </code>
/// </example>
public static class SidecarHostApplicationBuilderExtensions
{
    /// <summary>
    /// Adds a sidecar to the host: it serves the contracts <paramref name="configure"/> adds, from the host's services,
    /// as an <see cref="IHostedService"/> beside the others, and it and the host stop together.
    /// </summary>
    /// <remarks>
    /// <para>Logging: the providers the host builder added are removed (the console provider writes on stdout, which
    /// carries the protocol on the stdio transports), a <see cref="StderrLoggerProvider"/> is added, which writes the
    /// lines the parent logs again at their level, and <c>--log-level</c> becomes the minimum level. Providers added
    /// afterwards log beside it; a console provider added anyway is sent to stderr
    /// (<c>Logging:Console:LogToStandardErrorThreshold</c>). The host's own status lines ("Application started…") are
    /// not written (<see cref="ConsoleLifetimeOptions.SuppressStatusMessages"/>).</para>
    /// <para>Stopping: <c>system.shutdown</c>, the end of stdin, SIGTERM, SIGINT or the parent's exit stop the sidecar as
    /// on <see cref="SidecarHost"/>, then the host (<see cref="IHostApplicationLifetime.StopApplication"/>); the host's
    /// stop (its lifetime, Ctrl+C, <c>StopApplication</c>) drains the sidecar as <c>system.shutdown</c> does, within
    /// <see cref="SidecarHostOptions.ShutdownTimeout"/> and the host's <see cref="HostOptions.ShutdownTimeout"/>. The
    /// sidecar's exit code (0 after a clean stop, 2 for a bad command line) is set as <see cref="Environment.ExitCode"/>,
    /// which a <c>Main</c> that returns no value returns.</para>
    /// <para>TLS (gRPC): the command line's <c>--tls-cert</c>, <c>--tls-key</c> and <c>--tls-client-ca</c>, or else the
    /// configuration's <c>Sidecar:Tls:CertificatePath</c>, <c>KeyPath</c> and <c>ClientCertificateAuthorityPath</c>
    /// (for example <c>Sidecar__Tls__CertificatePath</c> in the environment, pointing at a mounted Secret).</para>
    /// <para>The sidecar reports ready once the host has started every hosted service, and after its startup tasks.
    /// <c>--help</c> and <c>--describe</c> print and stop the host.</para>
    /// <para>Services the sidecar adds, scoped: <see cref="SidecarConnection"/>, in a connection's or a call's scope the
    /// connection to the parent, and a client of each callback contract declared with
    /// <see cref="SidecarServiceBuilder.AddCallbackContract{TCallback}"/>, over that connection.</para>
    /// </remarks>
    /// <param name="builder">The host builder.</param>
    /// <param name="args">The command line: <c>--transport</c>, <c>--listen</c>, <c>--log-level</c>, <c>--describe</c>, <c>--help</c>….</param>
    /// <param name="configure">Adds the contracts and the transports.</param>
    public static IHostApplicationBuilder AddSidecar(this IHostApplicationBuilder builder, string[] args, Action<SidecarServiceBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(configure);
        if (builder.Services.Any(d => d.ServiceType == typeof(SidecarServiceBuilder)))
            throw new InvalidOperationException("A host runs one sidecar: AddSidecar was already called.");

        var sidecar = new SidecarServiceBuilder(builder.Services, SidecarHost.CreateBuilder(args));
        configure(sidecar);
        ApplyTlsConfiguration(builder.Configuration, sidecar.Options.Tls);
        LogLevel level = sidecar.Options.LogLevel;

        // stdout is the protocol's: no provider of the host's defaults may write there.
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(level);
        builder.Configuration.AddInMemoryCollection([new("Logging:Console:LogToStandardErrorThreshold", "Trace")]);
        builder.Services.TryAddSingleton(_ => new StderrLoggerProvider(level));
        builder.Services.AddSingleton<ILoggerProvider>(services => services.GetRequiredService<StderrLoggerProvider>());
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);

        builder.Services.AddSingleton(sidecar);
        // Not RpcChannel itself: the container would dispose the connection with the scope that resolved it.
        builder.Services.TryAddScoped(_ => new SidecarConnection());
        builder.Services.AddHostedService<SidecarHostedService>();
        return builder;
    }

    /// <summary>The configuration section whose <c>Tls</c> keys give the server certificate when the command line gives none.</summary>
    public const string ConfigurationSection = "Sidecar";

    // Sidecar:Tls:CertificatePath, KeyPath and ClientCertificateAuthorityPath (environment: Sidecar__Tls__CertificatePath,
    // or a mounted Kubernetes Secret's paths in appsettings.json), read as strings: no binder on this path, so it stays
    // trim-safe. The command line's --tls-* and certificates set in code win.
    private static void ApplyTlsConfiguration(IConfiguration configuration, SidecarTlsOptions tls)
    {
        IConfigurationSection section = configuration.GetSection(ConfigurationSection).GetSection("Tls");
        if (tls.IsEnabled || section["CertificatePath"] is not { Length: > 0 } certificate) return;
        tls.CertificatePath = certificate;
        if (section["KeyPath"] is { Length: > 0 } key) tls.KeyPath = key;
        if (tls.ClientCertificateAuthorities is null && tls.ClientCertificateAuthorityPath is null
            && section["ClientCertificateAuthorityPath"] is { Length: > 0 } authority)
            tls.ClientCertificateAuthorityPath = authority;
    }
}
