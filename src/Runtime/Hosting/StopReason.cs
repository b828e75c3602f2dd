namespace SidecarKit.Hosting;

/// <summary>Why a sidecar stops. What each reason means for the calls running is decided in one table (<see cref="StopReasons"/>), for every transport.</summary>
internal enum StopReason
{
    /// <summary><c>system.shutdown</c>: no new calls, the running ones finish.</summary>
    Shutdown,
    /// <summary>The end of stdin: the parent has no more requests (or is gone); the running ones finish.</summary>
    EndOfInput,
    /// <summary>Input that cannot be read any further (bytes that are not the protocol): what was understood finishes; exit code 1.</summary>
    ProtocolError,
    /// <summary><c>system.shutdown_now</c>: the running calls are cancelled.</summary>
    ShutdownNow,
    /// <summary>SIGTERM.</summary>
    Terminate,
    /// <summary>SIGINT.</summary>
    Interrupt,
    /// <summary>The parent process is gone (the watchdog saw it): nobody waits for answers.</summary>
    ParentExit,
    /// <summary>The host's own cancellation token.</summary>
    Cancelled,
    /// <summary>The stop token of <c>RunAsync(stopToken, cancellationToken)</c>: the host app stops (a Generic Host's lifetime); the running calls finish.</summary>
    HostStop,
}

/// <summary>The one table of what a stop reason means.</summary>
internal static class StopReasons
{
    /// <summary>The reason as logs and <c>lifecycle.shutdown {reason}</c> name it (docs/lifecycle.md).</summary>
    public static string WireName(this StopReason reason) => reason switch
    {
        StopReason.Shutdown => "shutdown",
        StopReason.EndOfInput => "eof",
        StopReason.ProtocolError => "protocol-error",
        StopReason.ShutdownNow => "shutdown_now",
        StopReason.Terminate => "sigterm",
        StopReason.Interrupt => "sigint",
        StopReason.ParentExit => "parent-exit",
        StopReason.HostStop => "host-stop",
        _ => "cancelled",
    };

    /// <summary>
    /// Whether the calls already received may finish (within <see cref="SidecarHostOptions.ShutdownTimeout"/>); if
    /// not, they are cancelled at once and have <see cref="SidecarHostOptions.CancelledRequestsGrace"/> to answer.
    /// </summary>
    public static bool Drains(this StopReason reason) => reason is StopReason.Shutdown or StopReason.EndOfInput or StopReason.ProtocolError or StopReason.HostStop;

    /// <summary>How long the calls running may take before they are cancelled (or, once cancelled, to answer).</summary>
    public static TimeSpan Grace(this StopReason reason, SidecarHostOptions options) => reason.Drains() ? options.ShutdownTimeout : options.CancelledRequestsGrace;

    /// <summary>The process's exit code.</summary>
    public static int ExitCode(this StopReason reason) => reason == StopReason.ProtocolError ? 1 : 0;
}

/// <summary>
/// The sidecar's stop request: the first reason wins; a second one that asks for a stop now (a signal,
/// <c>system.shutdown_now</c>) while a drain runs cuts it short (<see cref="Urgent"/>).
/// </summary>
internal sealed class StopSignal : IDisposable
{
    private readonly TaskCompletionSource<StopReason> _stop = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _urgent = new();
    private readonly List<Action> _hooks = [];

    /// <summary>Completes with the reason once a stop is requested.</summary>
    public Task<StopReason> Requested => _stop.Task;

    /// <summary>Whether a stop was requested.</summary>
    public bool IsRequested => _stop.Task.IsCompleted;

    /// <summary>Cancelled when a stop that does not drain arrives during a drain.</summary>
    public CancellationToken Urgent => _urgent.Token;

    /// <summary>Asks for a stop; ignored when one was already asked for, unless this one is urgent (it does not drain).</summary>
    public void Request(StopReason reason)
    {
        Action[] hooks;
        lock (_hooks)
        {
            if (!_stop.TrySetResult(reason))
            {
                if (!reason.Drains()) _urgent.Cancel();
                return;
            }
            hooks = [.. _hooks];
            _hooks.Clear();
        }
        foreach (Action hook in hooks) hook();
    }

    /// <summary>
    /// Runs <paramref name="hook"/> inside the first <see cref="Request"/>, before it returns (at once if a stop was
    /// already asked for): what must take effect before anything else happens, such as refusing new requests before a
    /// <c>system.shutdown</c> is answered.
    /// </summary>
    public void OnRequested(Action hook)
    {
        lock (_hooks)
        {
            if (!IsRequested)
            {
                _hooks.Add(hook);
                return;
            }
        }
        hook();
    }

    public void Dispose() => _urgent.Dispose();
}
