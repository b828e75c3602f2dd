namespace SidecarKit.Supervision;

/// <summary>Where a supervised sidecar is in its life. See docs/lifecycle.md for every transition.</summary>
public enum SidecarState
{
    /// <summary>Not started yet, or stopped on request, or exited cleanly and not restarted.</summary>
    Stopped,
    /// <summary>Spawned and waiting for readiness.</summary>
    Starting,
    /// <summary>Ready: calls go to it.</summary>
    Ready,
    /// <summary>Failed its liveness checks; about to be killed and restarted per policy.</summary>
    Unhealthy,
    /// <summary>Exited; waiting for the backoff delay before the next start (<see cref="SidecarStatus.Attempt"/>, <see cref="SidecarStatus.NextRetry"/>).</summary>
    Restarting,
    /// <summary>Gave up: the policy forbids a restart or the intensity limit was exceeded. Stays until <see cref="SidecarSupervisor.StartAsync"/> is called again.</summary>
    Failed,
    /// <summary>Being stopped on request.</summary>
    Stopping,
}

/// <summary>A snapshot of a supervised sidecar.</summary>
/// <param name="Name">The sidecar's name.</param>
/// <param name="State">Its state.</param>
/// <param name="Pid">The current process id, if one runs.</param>
/// <param name="InstanceId">The current instance's id from its ready payload.</param>
/// <param name="Uptime">How long the current instance has been running.</param>
/// <param name="RestartCount">Restarts since the supervisor was started.</param>
/// <param name="Attempt">In <see cref="SidecarState.Restarting"/>: the restart's number since the last stable run.</param>
/// <param name="NextRetry">In <see cref="SidecarState.Restarting"/>: when the next start happens.</param>
/// <param name="LastExitCode">The exit code of the last instance that exited.</param>
/// <param name="LastError">Why the last instance ended or could not start.</param>
/// <param name="RecentOutput">The last stderr lines of the current or last instance.</param>
/// <param name="ReadyInfo">What the current instance announced when it became ready (transport, <c>listenInfo</c>, contracts), if it is ready.</param>
public sealed record SidecarStatus(
    string Name,
    SidecarState State,
    int? Pid,
    string? InstanceId,
    TimeSpan Uptime,
    int RestartCount,
    int Attempt,
    DateTimeOffset? NextRetry,
    int? LastExitCode,
    string? LastError,
    IReadOnlyList<string> RecentOutput,
    SidecarReadyInfo? ReadyInfo)
{
    /// <summary>
    /// The calls of the supervisor's clients (<see cref="SidecarSupervisor.GetClient{TContract}"/>) started and not
    /// finished, streams included; a call waiting for a ready instance counts.
    /// </summary>
    public int CallsInFlight { get; init; }
}

/// <summary>A state transition.</summary>
/// <param name="Previous">The state before.</param>
/// <param name="Status">The snapshot after.</param>
/// <param name="Timestamp">When, by the supervisor's clock.</param>
public sealed record SidecarStateChange(SidecarState Previous, SidecarStatus Status, DateTimeOffset Timestamp);
