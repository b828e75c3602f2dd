namespace SidecarKit.Rpc;

/// <summary>
/// The rules for taking a new request, the same on every transport: the concurrency limit, the drain (no new requests
/// once it began, and a task that completes when the last admitted one left), and the exemption of <c>system.*</c>
/// from both, so health checks and the shutdown work exactly when the sidecar is busy or draining. The RPC
/// connections keep one per connection (inside <see cref="InboundCallTable"/>); the gRPC server one for the server.
/// </summary>
internal sealed class InboundAdmission(int maxConcurrent)
{
    /// <summary>What <see cref="TryEnter(bool)"/> decided.</summary>
    public enum Decision
    {
        /// <summary>Counted: call <see cref="Exit"/> once it is done and answered.</summary>
        Admitted,
        /// <summary>The limit is reached.</summary>
        Busy,
        /// <summary>The drain has begun.</summary>
        Draining,
    }

    private readonly Lock _lock = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _count;     // every admitted request: the drain waits for all of them
    private int _limited;   // those the limit applies to (not exempt): system.* never takes a slot from the work
    private volatile bool _accepting = true;

    /// <summary>The limit: <see cref="TryEnter(bool)"/> answers <see cref="Decision.Busy"/> beyond it.</summary>
    public int MaxConcurrent => maxConcurrent;

    /// <summary>The requests admitted and not yet done.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Whether new requests are still taken (the drain has not begun).</summary>
    public bool IsAccepting => _accepting;

    /// <summary>Health checks and shutdown must work exactly when the sidecar is busy or draining.</summary>
    public static bool IsExempt(string method) => method.StartsWith("system.", StringComparison.Ordinal);

    /// <summary>Whether a new request for <paramref name="method"/> is refused because the drain has begun.</summary>
    public bool RefusesNew(string method) => !_accepting && !IsExempt(method);

    /// <summary>Admits a request for <paramref name="method"/>, or says why not.</summary>
    public Decision TryEnter(string method) => TryEnter(IsExempt(method));

    /// <summary>Admits a request, or says why not; an <paramref name="exempt"/> one is always admitted (and counted).</summary>
    public Decision TryEnter(bool exempt)
    {
        lock (_lock)
        {
            if (!exempt)
            {
                if (!_accepting) return Decision.Draining;
                if (_limited >= maxConcurrent) return Decision.Busy;
                _limited++;
            }
            _count++;
            return Decision.Admitted;
        }
    }

    /// <summary>An admitted request is done and answered (and may end the drain); <paramref name="exempt"/> as given to <see cref="TryEnter(bool)"/>.</summary>
    public void Exit(bool exempt)
    {
        bool drained;
        lock (_lock)
        {
            if (!exempt) _limited--;
            _count--;
            drained = _count == 0 && !_accepting;
        }
        if (drained) _drained.TrySetResult();
    }

    /// <summary>
    /// Refuses new requests from now on. Called as soon as a stop is decided (a <c>system.shutdown</c> before it is
    /// answered, a signal), so that nothing the other side sends after it can still run.
    /// </summary>
    public void StopAccepting()
    {
        bool drained;
        lock (_lock)
        {
            _accepting = false;
            drained = _count == 0;
        }
        if (drained) _drained.TrySetResult();
    }

    /// <summary>Refuses new requests and waits until the admitted ones are done, or <paramref name="cancellationToken"/> fires.</summary>
    public Task DrainAsync(CancellationToken cancellationToken)
    {
        StopAccepting();
        return _drained.Task.IsCompleted ? Task.CompletedTask : _drained.Task.WaitAsync(cancellationToken);
    }
}
