using Microsoft.Extensions.Logging;

namespace SidecarKit.Rpc;

/// <summary>
/// The requests from the other side on one connection, from arrival to written answer: admitted into the
/// <see cref="InboundCallTable"/> (limit, drain, duplicate ids) or refused with an error, run on the thread pool, and
/// counted as answers owed until their answer is written. That count is what the reader's backpressure and the writer's
/// burst coalescing look at, so every answer this side owes goes through here: the handlers' and the refusals'.
/// </summary>
internal sealed class InboundRequests(ConnectionWriter writer, RpcConnectionOptions options, ILogger log)
{
    private const string ShuttingDownMessage = "The sidecar is shutting down and accepts no new requests.";

    private int _repliesOwed; // requests running, or answered but not yet written

    /// <summary>The requests running, by id, under the connection's admission rules.</summary>
    public InboundCallTable Table { get; } = new(options.MaxConcurrentRequests);

    /// <summary>Answers owed to the other side now. Read without a lock: callers take it as a hint.</summary>
    public int RepliesOwed => Volatile.Read(ref _repliesOwed);

    /// <summary>Admits <paramref name="call"/> and runs it, or answers why not.</summary>
    public void Run(InboundCall call)
    {
        if (!call.Id.IsPresent)
        {
            call.Execute(); // notifications run in arrival order (their handlers should be quick): progress must not arrive shuffled
            return;
        }
        switch (Table.TryAdd(call))
        {
            case InboundCallTable.Admission.Busy:
                SendError(call.Id, RpcErrorCodes.ServerBusy, $"Too many concurrent requests (limit {options.MaxConcurrentRequests}).");
                return;
            case InboundCallTable.Admission.Draining:
                SendError(call.Id, RpcErrorCodes.ShuttingDown, ShuttingDownMessage);
                return;
            case InboundCallTable.Admission.Duplicate:
                RejectDuplicate(call.Id);
                return;
        }
        Interlocked.Increment(ref _repliesOwed); // owed until Complete
        ThreadPool.UnsafeQueueUserWorkItem(call, preferLocal: false);
    }

    /// <summary>
    /// Frees the id of <paramref name="call"/> for reuse while its answer is still being sent; the request counts as
    /// running (for limits and the drain) until <see cref="Complete"/>.
    /// </summary>
    public void ReleaseId(InboundCall call)
    {
        if (!call.Id.IsPresent || call.IdReleased) return;
        Table.ReleaseId(call);
    }

    /// <summary><paramref name="call"/> is done and its answer written (or given up on).</summary>
    public void Complete(InboundCall call)
    {
        if (!call.Id.IsPresent) return;
        Interlocked.Decrement(ref _repliesOwed);
        Table.Complete(call);
    }

    /// <summary>Whether a new request for <paramref name="method"/> is refused because the drain has begun.</summary>
    public bool RefusesNew(string method) => Table.Rules.RefusesNew(method);

    /// <summary>Refuses a request that arrived during the drain.</summary>
    public void RejectShuttingDown(in RpcMessage message) => Reject(in message, RpcErrorCodes.ShuttingDown, ShuttingDownMessage);

    /// <summary>Refuses a request whose id is already taken by one still running.</summary>
    public void RejectDuplicate(RequestId id)
        // Answered with id null: the request already running with this id still gets its own, single answer.
        => SendError(RequestId.Null, RpcErrorCodes.InvalidRequest, $"A request with id {id} is already running.");

    /// <summary>Answers a request with an error; a notification has nobody to answer, so it is logged instead.</summary>
    public void Reject(in RpcMessage message, int code, string reason)
    {
        if (message.Id.IsPresent)
            SendError(message.Id, code, reason);
        else
            log.LogInvalidMessage(code, reason);
    }

    /// <summary>
    /// An answer nobody waits on here, counted as owed until written so that a flood of bad requests is pushed back
    /// too; a failure to send it is logged, not thrown (the read loop calls this).
    /// </summary>
    public void SendError(RequestId id, int code, string reason)
    {
        Interlocked.Increment(ref _repliesOwed);
        try
        {
            ValueTask send = writer.SendAsync(new ErrorMessage(id, code, reason, null));
            if (send.IsCompletedSuccessfully) Interlocked.Decrement(ref _repliesOwed);
            else _ = AwaitErrorSentAsync(send);
        }
        catch (Exception e)
        {
            Interlocked.Decrement(ref _repliesOwed);
            log.LogSendFailed(e, "error response");
        }
    }

    private async Task AwaitErrorSentAsync(ValueTask send)
    {
        try { await send.ConfigureAwait(false); }
        catch (Exception e) { log.LogSendFailed(e, "error response"); }
        finally { Interlocked.Decrement(ref _repliesOwed); }
    }

    /// <summary>Cancels every request still running.</summary>
    public void CancelAll()
    {
        foreach (InboundCall call in Table.Snapshot()) call.Cancel();
    }
}
