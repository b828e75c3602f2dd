namespace SidecarKit.Supervision;

/// <summary>
/// Decides whether and when to restart: exponential backoff with jitter, reset after a stable run, and an intensity
/// limit (OTP's MaxR in MaxT). Pure: every time comes from the caller's <see cref="TimeProvider"/>.
/// </summary>
public sealed class RestartSchedule
{
    private readonly SidecarRestartOptions _options;
    private readonly Func<double> _random;
    private readonly Queue<DateTimeOffset> _recentRestarts = new();

    /// <summary>Creates a schedule.</summary>
    /// <param name="options">The policy.</param>
    /// <param name="random">Returns a number in [0, 1) for the jitter; <see cref="Random.Shared"/> by default.</param>
    public RestartSchedule(SidecarRestartOptions options, Func<double>? random = null)
    {
        _options = options;
        _random = random ?? Random.Shared.NextDouble;
    }

    /// <summary>The number of the next restart since the last stable run (1 for the first).</summary>
    public int Attempt { get; private set; }

    /// <summary>Whether the policy restarts after this exit.</summary>
    public bool ShouldRestart(int? exitCode, bool unhealthy) => _options.Policy switch
    {
        RestartPolicy.Always => true,
        RestartPolicy.OnFailure => unhealthy || exitCode != 0,
        _ => false,
    };

    /// <summary>
    /// Records a restart about to happen at <paramref name="now"/>, after an instance that ran for <paramref name="uptime"/>.
    /// Returns the delay to wait, or <see langword="null"/> when the intensity limit is exceeded (the sidecar has failed).
    /// </summary>
    public TimeSpan? Next(DateTimeOffset now, TimeSpan uptime)
    {
        if (uptime >= _options.ResetAfter) Attempt = 0;
        while (_recentRestarts.Count > 0 && now - _recentRestarts.Peek() > _options.IntensityWindow)
            _recentRestarts.Dequeue();
        if (_recentRestarts.Count >= _options.MaxRestarts) return null;
        _recentRestarts.Enqueue(now);
        Attempt++;
        return Delay(Attempt);
    }

    /// <summary>The delay before restart number <paramref name="attempt"/> (1-based), with jitter.</summary>
    public TimeSpan Delay(int attempt)
    {
        double baseMs = _options.InitialDelay.TotalMilliseconds * Math.Pow(_options.Multiplier, Math.Max(0, attempt - 1));
        baseMs = Math.Min(baseMs, _options.MaxDelay.TotalMilliseconds);
        double jitter = _options.Jitter <= 0 ? 0 : (_random() * 2 - 1) * _options.Jitter * baseMs;
        return TimeSpan.FromMilliseconds(Math.Clamp(baseMs + jitter, 0, _options.MaxDelay.TotalMilliseconds));
    }

    /// <summary>Forgets the history: a manual start after <see cref="SidecarState.Failed"/> begins afresh.</summary>
    public void Reset()
    {
        Attempt = 0;
        _recentRestarts.Clear();
    }
}
