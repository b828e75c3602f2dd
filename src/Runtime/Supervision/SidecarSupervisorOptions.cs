using SidecarKit.Processes;

namespace SidecarKit.Supervision;

/// <summary>Liveness checks: <c>system.ping</c> every interval, with a timeout; after enough failures in a row the sidecar is unhealthy.</summary>
public sealed class SidecarHealthCheckOptions
{
    /// <summary>Whether to check at all. Default <see langword="true"/>.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Time between pings. Default 5 seconds.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a ping may take. Default 2 seconds.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Consecutive failed pings that make the sidecar unhealthy. Default 3.</summary>
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
