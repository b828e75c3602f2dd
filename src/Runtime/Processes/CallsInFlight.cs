namespace SidecarKit.Processes;

/// <summary>
/// Counts the calls a channel has started and not yet finished, so a graceful stop can let the answers the sidecar
/// already sent arrive before it lets the channel go.
/// </summary>
internal sealed class CallsInFlight
{
    private readonly Lock _gate = new();
    private int _count;
    private TaskCompletionSource? _idle;

    /// <summary>The calls in flight now.</summary>
    public int Count { get { lock (_gate) return _count; } }

    /// <summary>A call starts.</summary>
    public void Enter()
    {
        lock (_gate) _count++;
    }

    /// <summary>A call ended, however it ended.</summary>
    public void Exit()
    {
        TaskCompletionSource? idle = null;
        lock (_gate)
        {
            if (--_count == 0) (idle, _idle) = (_idle, null);
        }
        idle?.TrySetResult();
    }

    /// <summary>Completes when no call is in flight, or after <paramref name="limit"/>; returns whether none is.</summary>
    public async Task<bool> WhenNoneAsync(TimeSpan limit, CancellationToken cancellationToken)
    {
        Task idle;
        lock (_gate)
        {
            if (_count == 0) return true;
            idle = (_idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
        try
        {
            await idle.WaitAsync(limit, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
