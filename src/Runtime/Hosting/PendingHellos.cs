namespace SidecarKit.Hosting;

/// <summary>
/// The connections that have not said <c>$/hello</c> yet, with a small budget of their own
/// (<see cref="SidecarHostOptions.MaxPendingConnections"/>): silent or slow clients never take the slots of
/// authenticated ones (<see cref="SidecarHostOptions.MaxConnections"/>). When the budget is full, the oldest waiting
/// connection is dropped for the newcomer, so a flood of silent connections cannot lock out the parent, which says
/// hello at once.
/// </summary>
internal sealed class PendingHellos(int capacity)
{
    private readonly LinkedList<TaskCompletionSource> _waiting = new();
    private long _dropped;

    /// <summary>The connections waiting for their hello.</summary>
    public int Count
    {
        get { lock (_waiting) return _waiting.Count; }
    }

    /// <summary>
    /// Counts a new connection as waiting; its task completes if it is dropped for a newer one. Sets
    /// <paramref name="droppedOldest"/> to the number of connections dropped so far if an older one was dropped to
    /// make room now, else 0. Pass the result to <see cref="Remove"/> once the hello came (or the
    /// connection ended).
    /// </summary>
    public LinkedListNode<TaskCompletionSource> Add(out long droppedOldest)
    {
        TaskCompletionSource? oldest = null;
        LinkedListNode<TaskCompletionSource> node;
        lock (_waiting)
        {
            if (_waiting.Count >= Math.Max(1, capacity))
            {
                oldest = _waiting.First!.Value;
                _waiting.RemoveFirst();
            }
            node = _waiting.AddLast(new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        }
        droppedOldest = oldest is null ? 0 : Interlocked.Increment(ref _dropped);
        oldest?.TrySetResult();
        return node;
    }

    /// <summary>The connection is no longer waiting (it said hello, was refused, or ended).</summary>
    public void Remove(LinkedListNode<TaskCompletionSource> node)
    {
        lock (_waiting)
        {
            if (node.List is not null) _waiting.Remove(node);
        }
    }
}
