namespace SidecarKit.Rpc;

/// <summary>
/// The requests from the other side that run here, and the rules for taking new ones: the concurrency limit, the drain
/// (no new requests once it began, and a task that completes when the last running one is done), and the exemption
/// of <c>system.*</c> from both, so health checks and the shutdown work exactly when the sidecar is busy or draining.
/// A request counts from <see cref="TryAdd"/> to <see cref="Complete"/>; its id may be reused from
/// <see cref="ReleaseId"/> on, while its answer is being sent.
/// </summary>
internal sealed class InboundCallTable(int maxConcurrent)
{
    /// <summary>What <see cref="TryAdd"/> decided.</summary>
    public enum Admission
    {
        /// <summary>Counted and running.</summary>
        Added,
        /// <summary>The limit is reached.</summary>
        Busy,
        /// <summary>A request with the same id is running.</summary>
        Duplicate,
    }

    private readonly Dictionary<RequestId, InboundCall> _running = [];
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _replying; // requests whose id was released and whose answer is being sent
    private volatile bool _accepting = true;

    /// <summary>The requests running (answers being sent included).</summary>
    public int Count { get { lock (_running) return _running.Count + _replying; } }

    /// <summary>Health checks and shutdown must work exactly when the sidecar is busy or draining.</summary>
    public static bool IsExempt(string method) => method.StartsWith("system.", StringComparison.Ordinal);

    /// <summary>Whether a new request for <paramref name="method"/> is refused because the drain has begun.</summary>
    public bool RefusesNew(string method) => !_accepting && !IsExempt(method);

    /// <summary>Whether a request with <paramref name="id"/> is running (its id not released yet).</summary>
    public bool IsRunning(RequestId id)
    {
        lock (_running) return _running.ContainsKey(id);
    }

    /// <summary>The running request with <paramref name="id"/>, for a cancellation or a credit; <see langword="null"/> if none.</summary>
    public InboundCall? Find(RequestId id)
    {
        lock (_running) return _running.TryGetValue(id, out InboundCall? call) ? call : null;
    }

    /// <summary>Counts <paramref name="call"/> as running, within the limit (which <c>system.*</c> ignores).</summary>
    public Admission TryAdd(InboundCall call)
    {
        lock (_running)
        {
            if (_running.Count + _replying >= maxConcurrent && !IsExempt(call.Method)) return Admission.Busy;
            return _running.TryAdd(call.Id, call) ? Admission.Added : Admission.Duplicate;
        }
    }

    /// <summary>Frees the id of <paramref name="call"/> for reuse while its answer is still being sent; it still counts.</summary>
    public void ReleaseId(InboundCall call)
    {
        lock (_running)
        {
            if (_running.TryGetValue(call.Id, out InboundCall? current) && ReferenceEquals(current, call))
            {
                _running.Remove(call.Id);
                _replying++;
                call.IdReleased = true;
            }
        }
    }

    /// <summary><paramref name="call"/> is done and answered: it stops counting (and may end the drain).</summary>
    public void Complete(InboundCall call)
    {
        bool drained;
        lock (_running)
        {
            if (call.IdReleased) _replying--;
            else if (_running.TryGetValue(call.Id, out InboundCall? current) && ReferenceEquals(current, call))
                _running.Remove(call.Id);
            drained = _running.Count == 0 && _replying == 0 && !_accepting;
        }
        if (drained) _drained.TrySetResult();
    }

    /// <summary>Refuses new requests from now on and waits until the running ones are done, or <paramref name="cancellationToken"/> fires.</summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        bool empty;
        lock (_running)
        {
            _accepting = false;
            empty = _running.Count == 0 && _replying == 0;
        }
        if (empty) return;
        await _drained.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The requests running now (not those whose answer is being sent).</summary>
    public InboundCall[] Snapshot()
    {
        lock (_running) return [.. _running.Values];
    }
}
