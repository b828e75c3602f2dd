namespace SidecarKit.Rpc;

/// <summary>
/// The requests from the other side that run on one connection, by id (for cancellations, credits and duplicate ids),
/// admitted by the transports' common rules (<see cref="InboundAdmission"/>: limit, drain, <c>system.*</c> exemption).
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
        /// <summary>The drain has begun.</summary>
        Draining,
        /// <summary>A request with the same id is running.</summary>
        Duplicate,
    }

    private readonly Dictionary<RequestId, InboundCall> _running = [];

    /// <summary>The admission rules of this connection.</summary>
    public InboundAdmission Rules { get; } = new(maxConcurrent);

    /// <summary>The requests running (answers being sent included).</summary>
    public int Count => Rules.Count;

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

    /// <summary>Counts <paramref name="call"/> as running, if the rules admit it and its id is free.</summary>
    public Admission TryAdd(InboundCall call)
    {
        lock (_running)
        {
            if (_running.ContainsKey(call.Id)) return Admission.Duplicate;
            switch (Rules.TryEnter(call.Method))
            {
                case InboundAdmission.Decision.Busy: return Admission.Busy;
                case InboundAdmission.Decision.Draining: return Admission.Draining;
            }
            _running.Add(call.Id, call);
            return Admission.Added;
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
                call.IdReleased = true;
            }
        }
    }

    /// <summary><paramref name="call"/> is done and answered: it stops counting (and may end the drain).</summary>
    public void Complete(InboundCall call)
    {
        lock (_running)
        {
            if (!call.IdReleased && _running.TryGetValue(call.Id, out InboundCall? current) && ReferenceEquals(current, call))
                _running.Remove(call.Id);
        }
        Rules.Exit(InboundAdmission.IsExempt(call.Method));
    }

    /// <summary>The requests running now (not those whose answer is being sent).</summary>
    public InboundCall[] Snapshot()
    {
        lock (_running) return [.. _running.Values];
    }
}
