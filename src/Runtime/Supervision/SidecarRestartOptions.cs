namespace SidecarKit.Supervision;

/// <summary>When a supervised sidecar that exited is started again.</summary>
public enum RestartPolicy
{
    /// <summary>Whenever it exits, whatever the exit code.</summary>
    Always,
    /// <summary>When it exits with a non-zero code, is killed by a signal, or is found unhealthy; not after a clean exit (code 0). The default.</summary>
    OnFailure,
    /// <summary>Never: it stays <see cref="SidecarState.Stopped"/> (clean exit) or <see cref="SidecarState.Failed"/>.</summary>
    Never,
}

/// <summary>Restart policy, exponential backoff and intensity limit. Every default is documented in docs/lifecycle.md.</summary>
public sealed class SidecarRestartOptions
{
    /// <summary>When to restart. Default <see cref="RestartPolicy.OnFailure"/>.</summary>
    public RestartPolicy Policy { get; set; } = RestartPolicy.OnFailure;

    /// <summary>The delay before the first restart. Default 500 ms.</summary>
    public TimeSpan InitialDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Each further restart waits this many times longer. Default 2.</summary>
    public double Multiplier { get; set; } = 2;

    /// <summary>The longest delay. Default 30 seconds.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A random share of the delay, up to this fraction, is added or removed so that many sidecars do not restart in step. Default 0.1.</summary>
    public double Jitter { get; set; } = 0.1;

    /// <summary>An instance that ran this long counts as stable: the next crash starts the backoff over. Default 60 seconds.</summary>
    public TimeSpan ResetAfter { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The most restarts allowed within <see cref="IntensityWindow"/>; one more makes the sidecar <see cref="SidecarState.Failed"/>. Default 5.</summary>
    public int MaxRestarts { get; set; } = 5;

    /// <summary>The window of <see cref="MaxRestarts"/>. Default 60 seconds.</summary>
    public TimeSpan IntensityWindow { get; set; } = TimeSpan.FromSeconds(60);
}
