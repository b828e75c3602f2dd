using Microsoft.Extensions.Logging;
using SidecarKit.Supervision;

namespace SidecarKit.Extensions.Hosting;

/// <summary>One sidecar registered with <c>AddSidecar</c>.</summary>
/// <param name="Name">Its unique name.</param>
/// <param name="Configure">Fills its options; runs once, when the supervisor is first needed.</param>
/// <param name="StartOnDemand">Start on the first call instead of with the host.</param>
public sealed record SidecarRegistration(string Name, Action<IServiceProvider, SidecarSupervisorOptions> Configure, bool StartOnDemand)
{
    // The contracts AddSidecar<T> named for this sidecar: asked of the supervisor as soon as it exists, so that its
    // start checks them (a breaking difference fails the host's start, not the first resolve of a client).
    internal List<Action<SidecarSupervisor>> Contracts { get; } = [];

    // What ISidecarBuilder added (callbacks from the container, ConfigureOptions): run after Configure, in order.
    internal List<Action<IServiceProvider, SidecarSupervisorOptions>> PostConfigure { get; } = [];
}

/// <summary>The supervisors of the sidecars registered in the container, by name.</summary>
public sealed class SidecarRegistry(IEnumerable<SidecarRegistration> registrations, IServiceProvider services)
{
    private readonly Dictionary<string, SidecarRegistration> _registrations = registrations.ToDictionary(r => r.Name, StringComparer.Ordinal);
    private readonly Dictionary<string, SidecarSupervisor> _supervisors = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    /// <summary>The registrations, in the order they were made.</summary>
    public IReadOnlyList<SidecarRegistration> Registrations { get; } = [.. registrations];

    /// <summary>The supervisor of the sidecar named <paramref name="name"/>, created on first use.</summary>
    public SidecarSupervisor Get(string name)
    {
        lock (_gate)
        {
            if (_supervisors.TryGetValue(name, out SidecarSupervisor? existing)) return existing;
            if (!_registrations.TryGetValue(name, out SidecarRegistration? registration))
                throw new InvalidOperationException($"No sidecar named '{name}' is registered. Registered: {string.Join(", ", _registrations.Keys)}.");
            var options = new SidecarSupervisorOptions();
            options.Process.Name = name;
            registration.Configure(services, options);
            foreach (Action<IServiceProvider, SidecarSupervisorOptions> configure in registration.PostConfigure) configure(services, options);
            options.Process.LoggerFactory ??= services.GetService(typeof(ILoggerFactory)) as ILoggerFactory;
            var supervisor = new SidecarSupervisor(options);
            foreach (Action<SidecarSupervisor> expect in registration.Contracts) expect(supervisor);
            _supervisors[name] = supervisor;
            return supervisor;
        }
    }

    /// <summary>
    /// A snapshot of every registered sidecar, in registration order: state, pid, uptime, restarts, last exit code and
    /// error, calls in flight (<see cref="SidecarStatus"/>). Creates the supervisors not created yet (a sidecar that has
    /// not started reports <see cref="SidecarState.Stopped"/>).
    /// </summary>
    public IReadOnlyList<SidecarStatus> GetStatus() => [.. Registrations.Select(r => Get(r.Name).Status)];
}
