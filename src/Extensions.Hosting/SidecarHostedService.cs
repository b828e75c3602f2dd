using Microsoft.Extensions.Hosting;
using SidecarKit.Supervision;

namespace SidecarKit.Extensions.Hosting;

/// <summary>Starts the registered sidecars with the host, in registration order, and stops them in reverse order.</summary>
internal sealed class SidecarHostedService(SidecarRegistry registry) : IHostedService
{
    private readonly List<SidecarSupervisor> _started = [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Every supervisor is created (its options filled, a declaration in configuration validated) before any sidecar
        // starts: a wrong setting of the last one fails the host's start with nothing left running.
        SidecarSupervisor[] supervisors = [.. registry.Registrations.Select(r => registry.Get(r.Name))];
        for (int i = 0; i < supervisors.Length; i++)
        {
            _started.Add(supervisors[i]);
            if (!registry.Registrations[i].StartOnDemand)
                await supervisors[i].StartAsync(cancellationToken).ConfigureAwait(false);
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
