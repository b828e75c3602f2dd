using System.Buffers;
using System.IO.Pipelines;
using Microsoft.Extensions.Logging;

namespace SidecarKit.Rpc;

/// <summary>
/// The reading half of an <see cref="RpcConnection"/>: one loop over the transport's <see cref="PipeReader"/> that
/// frames messages out of each <see cref="ReadOnlySequence{T}"/> with the <see cref="RpcProtocol"/>, lets the first one
/// through the <see cref="AdmissionGate"/>, and hands each admitted one to the <see cref="InboundRouter"/> by reference,
/// with no copy and no allocation. It also owns the only way this side stops reading on its own: a refused admission,
/// or a peer that sends requests but does not read their answers (the output backpressure below).
/// </summary>
internal sealed class ConnectionReader(
    PipeReader input,
    RpcProtocol protocol,
    AdmissionGate gate,
    InboundRouter router,
    InboundRequests requests,
    ConnectionWriter writer,
    RpcConnectionOptions options,
    ILogger log)
{
    private string? _stopReason;
    private volatile bool _closing;

    /// <summary>What ended reading, when it was not a clean end of input (unreadable bytes, a broken transport).</summary>
    public Exception? Error { get; private set; }

    /// <summary>Why this side stopped reading on its own (a refused admission, a stalled peer), if it did.</summary>
    public string? StopReason => Volatile.Read(ref _stopReason);

    /// <summary>
    /// Called with the bytes of each frame that is not a message of the protocol (as read, before it is logged as
    /// invalid), while set: a sidecar's process sets it until the sidecar is ready, so that what a program printed on
    /// stdout instead of speaking (a host's "install .NET" advice, a crash banner) reaches the start error.
    /// </summary>
    public Action<ReadOnlySequence<byte>>? InvalidFrame { get; set; }

    /// <summary>The owner is about to close the stream under the reader: the read this ends is not logged as a failure.</summary>
    public void MarkClosing() => _closing = true;

    /// <summary>
    /// Reads and routes until the input ends, fails, or this side stops reading; then completes the input. Returns the
    /// read error, or <see langword="null"/> at a clean end (a stop by this side included).
    /// </summary>
    public async Task<Exception?> ReadAllAsync()
    {
        try
        {
            while (true)
            {
                if (RepliesBacklogged() && !await WaitForOutputAsync().ConfigureAwait(false))
                    break;
                ReadResult result = await input.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled) break;
                bool backlogged = false;
                ReadOnlySequence<byte> buffer = result.Buffer;
                try
                {
                    // A read can hold thousands of small requests: stop between two of them once answers pile up.
                    SequencePosition frameStart = buffer.Start;
                    while (_stopReason is null && !(backlogged = RepliesBacklogged())
                        && protocol.TryReadMessage(ref buffer, result.IsCompleted, out RpcMessage message))
                    {
                        try
                        {
                            if (message.Kind == RpcMessageKind.Invalid && InvalidFrame is { } invalid)
                                invalid(result.Buffer.Slice(frameStart, buffer.Start));
                            frameStart = buffer.Start;
                            if (gate.IsOpen) router.Route(in message);
                            else if (gate.Judge(protocol, in message) is { } refusal) Stop(refusal);
                        }
                        finally
                        {
                            protocol.Release(in message);
                        }
                    }
                }
                finally
                {
                    // When stopped early, what is left is not "examined": the next read returns it at once.
                    if (backlogged) input.AdvanceTo(buffer.Start);
                    else input.AdvanceTo(buffer.Start, buffer.End);
                }
                if ((result.IsCompleted && !backlogged) || _stopReason is not null) break;
            }
            return null;
        }
        catch (Exception e)
        {
            Error = e;
            // A read cut by this side closing the stream (the host drops a connection) is the close, not a failure.
            if (!_closing) log.LogReadLoopFailed(e);
            return e;
        }
        finally
        {
            await input.CompleteAsync().ConfigureAwait(false);
        }
    }

    // Many answers are owed to the other side while a write is in progress (perhaps stuck because it does not read).
    // Reading more of its requests would only owe more, so stop reading (the transport's buffers then push back on the
    // sender) until the write completes. Only answers count: reading responses to this side's own calls never creates
    // output, so a client that only calls never stops reading, and two peers cannot wait on each other that way.
    private bool RepliesBacklogged() => requests.RepliesOwed >= options.MaxPendingReplies && writer.IsWriting;

    // The writer's gate is fair: acquiring it means every writer queued before has written. A peer that reads nothing
    // for StalledOutputTimeout is given up on, which also ends two peers that each serve the other and wait for it to read.
    private async ValueTask<bool> WaitForOutputAsync()
    {
        if (await writer.WaitForWritesAsync(options.StalledOutputTimeout).ConfigureAwait(false))
            return true;
        Stop($"the other side has read nothing for {options.StalledOutputTimeout.TotalSeconds:0.#} s while {requests.RepliesOwed} answers are owed to it");
        return false;
    }

    // Only the read loop itself stops reading, so the loop's own checks see the reason right after the message that set it.
    private void Stop(string reason)
    {
        if (Interlocked.CompareExchange(ref _stopReason, reason, null) is null)
            log.LogClosingConnection(reason);
    }
}
