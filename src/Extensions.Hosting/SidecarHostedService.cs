using Microsoft.Extensions.Hosting;
using SidecarKit.Supervision;

namespace SidecarKit.Extensions.Hosting;

/// <summary>Starts the registered sidecars with the host, in registration order, and stops them in reverse order.</summary>
internal sealed class SidecarHostedService(SidecarRegistry registry) : IHostedService
{
    private readonly List<SidecarSupervisor> _started = [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (SidecarRegistration registration in registry.Registrations)
        {
            SidecarSupervisor supervisor = registry.Get(registration.Name);
            _started.Add(supervisor);
            if (!registration.StartOnDemand)
                await supervisor.StartAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Later sidecars may depend on earlier ones: stop in reverse order, each gracefully.
        for (int i = _started.Count - 1; i >= 0; i--)
            await _started[i].StopAsync(cancellationToken).ConfigureAwait(false);
        _started.Clear();
    }
}
