using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SidecarKit.Logging;

namespace SidecarKit.Hosting;

/// <summary>
/// Runs the sidecar beside the host's other <see cref="IHostedService"/>s. A stop the protocol asks for
/// (<c>system.shutdown</c>, the end of stdin, SIGTERM, the parent gone) stops the whole host; the host's stop drains the
/// sidecar as <c>system.shutdown</c> does, and cuts the drain short once the host's own shutdown timeout runs out. The
/// sidecar's exit code becomes <see cref="Environment.ExitCode"/>.
/// </summary>
internal sealed class SidecarHostedService(SidecarServiceBuilder sidecar, IServiceProvider services, IHostApplicationLifetime lifetime,
    ILoggerFactory loggerFactory) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly ILogger _logger = loggerFactory.CreateLogger("SidecarKit.Host");
    private Task _run = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        SidecarHostBuilder builder = sidecar.Host;
        builder.UseLoggerFactory(loggerFactory, services.GetService<StderrLoggerProvider>());
        // Ready once every hosted service has started (those registered after this one included).
        builder.AddStartupTask(ct => WhenStartedAsync(lifetime.ApplicationStarted, ct));
        if (sidecar.UsesConnectionScopes)
        {
            IServiceScopeFactory scopes = services.GetRequiredService<IServiceScopeFactory>();
            builder.OnConnectionOpened(channel => ConnectionScopes.Open(scopes, channel));
        }
        sidecar.Apply(builder, services);
        SidecarHost host = builder.Build();
        _run = Task.Run(() => RunAsync(host), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task RunAsync(SidecarHost host)
    {
        int code;
        try
        {
            code = await host.RunAsync(_stopping.Token, _abort.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _logger.LogCritical(e, "The sidecar failed.");
            code = 1;
        }
        Environment.ExitCode = code;
        lifetime.StopApplication(); // whatever stopped the sidecar stops the app
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping.Cancel();
        // The host's shutdown timeout: what still runs is cancelled, and has CancelledRequestsGrace to answer.
        using CancellationTokenRegistration abort = cancellationToken.Register(_abort.Cancel);
        await _run.ConfigureAwait(false);
    }

    private static async Task WhenStartedAsync(CancellationToken started, CancellationToken cancellationToken)
    {
        if (started.IsCancellationRequested) return;
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using CancellationTokenRegistration s = started.Register(tcs.SetResult);
        await tcs.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _stopping.Dispose();
        _abort.Dispose();
    }
}
