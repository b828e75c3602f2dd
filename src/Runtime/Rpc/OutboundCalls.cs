namespace SidecarKit.Rpc;

/// <summary>
/// The calls this side made and is waiting on, by id: registered when sent, taken by their answer (or a timeout, or a
/// cancellation), and failed together when the connection goes, with the reason it went.
/// </summary>
internal sealed class OutboundCalls
{
    private readonly Dictionary<long, PendingCall> _calls = [];
    private long _nextId;
    private Exception? _closeReason;

    /// <summary>The calls waiting.</summary>
    public int Count { get { lock (_calls) return _calls.Count; } }

    /// <summary>More than one call waiting, read without the lock: a hint (a burst is under way), not a count.</summary>
    public bool SeveralWaiting => _calls.Count > 1;

    /// <summary>Why the connection went, once it did; calls made after that fail with it (a crash stays a crash).</summary>
    public Exception? CloseReason
    {
        get { lock (_calls) return _closeReason; }
    }

    /// <summary>Gives <paramref name="call"/> an id and its deadline and waits for its answer; fails it at once if the connection has gone.</summary>
    public void Register(PendingCall call, in RpcCallOptions options)
    {
        call.Id = Interlocked.Increment(ref _nextId);
        call.Timeout = options.Timeout;
        call.DeadlineTicks = options.DeadlineTicks;
        Exception? closed = null;
        lock (_calls)
        {
            // While the other side's departure is being explained (exit code, stderr), calls still queue up here
            // and are failed with that explanation.
            if (_closeReason is not null) closed = _closeReason;
            else _calls.Add(call.Id, call);
        }
        if (closed is not null) call.Fail(closed);
    }

    /// <summary>Stops waiting for call <paramref name="id"/>; false if it was not waiting any more (answered, timed out, failed).</summary>
    public bool TryRemove(long id)
    {
        lock (_calls) return _calls.Remove(id);
    }

    /// <summary>The call an answer with <paramref name="id"/> ends, taken out of the table; <see langword="null"/> if none waits.</summary>
    public PendingCall? Take(RequestId id)
    {
        if (id.Kind != RequestIdKind.Number) return null;
        lock (_calls) return _calls.Remove(id.Number, out PendingCall? call) ? call : null;
    }

    /// <summary>The call a stream item with <paramref name="id"/> belongs to, left waiting; <see langword="null"/> if none.</summary>
    public PendingCall? Find(RequestId id)
    {
        if (id.Kind != RequestIdKind.Number) return null;
        lock (_calls) return _calls.TryGetValue(id.Number, out PendingCall? call) ? call : null;
    }

    /// <summary>Takes out the calls whose deadline is at or before <paramref name="now"/> (<see cref="Environment.TickCount64"/>).</summary>
    public List<PendingCall>? TakeExpired(long now)
    {
        List<PendingCall>? expired = null;
        lock (_calls)
        {
            foreach (PendingCall call in _calls.Values)
            {
                if (call.DeadlineTicks <= now)
                    (expired ??= []).Add(call);
            }
            if (expired is not null)
            {
                foreach (PendingCall call in expired) _calls.Remove(call.Id);
            }
        }
        return expired;
    }

    /// <summary>Fails every call waiting with <paramref name="failure"/>, which also becomes the <see cref="CloseReason"/> (the first one stays).</summary>
    public void FailAll(Exception failure)
    {
        PendingCall[] waiting;
        lock (_calls)
        {
            _closeReason ??= failure;
            waiting = [.. _calls.Values];
            _calls.Clear();
        }
        foreach (PendingCall call in waiting) call.Fail(failure);
    }
}
