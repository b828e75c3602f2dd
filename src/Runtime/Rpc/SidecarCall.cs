namespace SidecarKit.Rpc;

/// <summary>Ambient per-call settings for calls made through generated proxies.</summary>
public static class SidecarCall
{
    private static readonly AsyncLocal<TimeSpan?> s_timeout = new();

    /// <summary>The timeout set by the innermost <see cref="WithTimeout"/> scope, if any.</summary>
    public static TimeSpan? CurrentTimeout => s_timeout.Value;

    /// <summary>
    /// Overrides the timeout of every call started in this async flow until the returned scope is disposed
    /// (<see cref="Timeout.InfiniteTimeSpan"/> for none). It takes precedence over method and connection defaults.
    /// </summary>
    /// <example><code>using (SidecarCall.WithTimeout(TimeSpan.FromSeconds(2))) await demo.SleepAsync(100);</code></example>
    public static IDisposable WithTimeout(TimeSpan timeout)
    {
        var scope = new Scope(s_timeout.Value);
        s_timeout.Value = timeout;
        return scope;
    }

    private sealed class Scope(TimeSpan? previous) : IDisposable
    {
        public void Dispose() => s_timeout.Value = previous;
    }
}
