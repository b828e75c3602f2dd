namespace SidecarKit.Probes;

/// <summary>
/// A check of a sidecar from the outside: run until it passes to decide that the sidecar is ready (readiness:
/// <c>SidecarProcessOptions.Readiness</c>), and periodically afterwards to decide that it is still alive (liveness:
/// <c>SidecarHealthCheckOptions.Probe</c>), the way Kubernetes probes a container. Works
/// for any program, whether or not it speaks SidecarKit's protocol. The kinds come from the factory methods here
/// (<c>Started</c>, <c>OutputLine</c>, <c>Tcp</c>, <c>Http</c>, <c>UnixSocket</c>, <c>Delegate</c>, in SidecarProbes.cs;
/// gRPC health from the SidecarKit.Grpc
/// package); a custom kind derives from this class.
/// </summary>
public abstract partial class SidecarProbe
{
    /// <summary>What the probe checks, for logs and errors (for example <c>HTTP GET http://127.0.0.1:8000/health answers 2xx</c>).</summary>
    public abstract string Description { get; }

    /// <summary>
    /// Checks once. A probe that cannot decide within <paramref name="cancellationToken"/> is cancelled: the caller
    /// counts that as a failure (the attempt's timeout). A probe does not throw for a failed check; it returns
    /// <see cref="SidecarProbeResult.Fail"/> with what it saw.
    /// </summary>
    public abstract ValueTask<SidecarProbeResult> CheckAsync(SidecarProbeContext context, CancellationToken cancellationToken);

    /// <inheritdoc />
    public override string ToString() => Description;
}

/// <summary>The outcome of one check.</summary>
/// <param name="Passed">Whether the check passed.</param>
/// <param name="Detail">What was seen, when it failed (for example <c>connection refused</c>, <c>HTTP 503</c>).</param>
public readonly record struct SidecarProbeResult(bool Passed, string? Detail = null)
{
    /// <summary>The check passed.</summary>
    public static SidecarProbeResult Pass { get; } = new(true);

    /// <summary>The check failed, with what was seen.</summary>
    public static SidecarProbeResult Fail(string detail) => new(false, detail);
}

/// <summary>Which of the sidecar's output streams a line came from.</summary>
public enum SidecarOutputStream
{
    /// <summary>Standard output.</summary>
    StandardOutput,

    /// <summary>Standard error.</summary>
    StandardError,
}

/// <summary>What a probe may know of the sidecar it checks: its name, its process, and the lines it prints.</summary>
public sealed class SidecarProbeContext
{
    private readonly Lock _gate = new();
    private Action<SidecarOutputStream, string>[] _watchers = [];

    /// <summary>Creates the context of one sidecar process.</summary>
    public SidecarProbeContext(string name, int processId)
    {
        Name = name;
        ProcessId = processId;
    }

    /// <summary>The sidecar's name.</summary>
    public string Name { get; }

    /// <summary>The sidecar's process id.</summary>
    public int ProcessId { get; }

    /// <summary>
    /// Calls <paramref name="onLine"/> for every line the sidecar prints from now on, on either stream, until the
    /// returned object is disposed. Called on the thread that reads the stream: keep it short.
    /// </summary>
    public IDisposable WatchOutput(Action<SidecarOutputStream, string> onLine)
    {
        ArgumentNullException.ThrowIfNull(onLine);
        lock (_gate) _watchers = [.. _watchers, onLine];
        return new Unwatch(this, onLine);
    }

    /// <summary>Hands a line the sidecar printed to every watcher (the process's output pumps call this).</summary>
    public void OnOutputLine(SidecarOutputStream stream, string line)
    {
        foreach (Action<SidecarOutputStream, string> watcher in Volatile.Read(ref _watchers))
            watcher(stream, line);
    }

    private sealed class Unwatch(SidecarProbeContext owner, Action<SidecarOutputStream, string> onLine) : IDisposable
    {
        public void Dispose()
        {
            lock (owner._gate) owner._watchers = [.. owner._watchers.Where(w => w != onLine)];
        }
    }
}
