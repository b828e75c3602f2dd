using SidecarKit.Probes;
using SidecarKit.Processes;

namespace SidecarKit.Supervision;

/// <summary>
/// Liveness checks, the Kubernetes probe model: a check every <see cref="Interval"/> (after <see cref="InitialDelay"/>),
/// each within <see cref="Timeout"/>; after <see cref="FailureThreshold"/> failures in a row the sidecar is unhealthy and
/// is killed and restarted. The check is <see cref="Probe"/>, or <c>system.ping</c> for a sidecar that speaks the protocol.
/// </summary>
public sealed class SidecarHealthCheckOptions
{
    /// <summary>
    /// The check. Default: <c>system.ping</c> on the sidecar's channel; a plain program (no protocol) is not checked
    /// unless a probe is given. An output-line probe passes when a matching line was printed since its last pass (a
    /// heartbeat). Give liveness its own probe instance, not the one of <c>SidecarProcessOptions.Readiness</c>.
    /// </summary>
    public SidecarProbe? Probe { get; set; }

    /// <summary>Time after ready before the first check. Default 0 (the first check comes after one <see cref="Interval"/>).</summary>
    public TimeSpan InitialDelay { get; set; } = TimeSpan.Zero;

    /// <summary>Whether to check at all. Default <see langword="true"/>.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Time between checks. Default 5 seconds.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a check may take (a slower one fails). Default 2 seconds.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Consecutive failed checks that make the sidecar unhealthy. Default 3.</summary>
    public int FailureThreshold { get; set; } = 3;
}

/// <summary>Everything a <see cref="SidecarSupervisor"/> needs.</summary>
public sealed class SidecarSupervisorOptions
{
    /// <summary>How to start one instance (command, arguments, environment, protocol, timeouts, callbacks).</summary>
    public SidecarProcessOptions Process { get; set; } = new();

    /// <summary>Restart policy, backoff and intensity limit.</summary>
    public SidecarRestartOptions Restart { get; set; } = new();

    /// <summary>Liveness checks.</summary>
    public SidecarHealthCheckOptions HealthCheck { get; set; } = new();

    /// <summary>The clock for backoff and health checks (a fake one in tests). Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>How long a call made while no instance is ready waits for one, at most (the call's own timeout applies if shorter). Default 30 seconds.</summary>
    public TimeSpan WaitForReadyTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
