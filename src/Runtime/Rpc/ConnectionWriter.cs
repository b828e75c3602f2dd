using System.Buffers;
using System.IO.Pipelines;
using Microsoft.Extensions.Logging;

namespace SidecarKit.Rpc;

/// <summary>
/// The writing half of an <see cref="RpcConnection"/>: one writer at a time behind a fair gate, each message encoded
/// whole before it reaches the pipe, in the pipe's own memory where it fits (<see cref="MessageBuffer"/>: a codec that
/// throws halfway leaves nothing half-written), and flushes coalesced. A sender writes on its own thread with no
/// hand-off; while other senders wait for the gate it leaves the flush to the last of them, and in a burst to a flush
/// queued behind the burst's work, so a burst leaves in a few writes instead of one system call per message.
/// </summary>
internal sealed class ConnectionWriter(PipeWriter output, RpcProtocol protocol, Func<bool> inBurst, Func<Exception> closedReason, ILogger log)
{
    // Deferred flushes stop here: beyond, the sender flushes (and waits, holding the gate, if the other side is not
    // reading), which is what lets the read loop see the backlog and push back.
    private const int MaxUnflushed = 64 * 1024;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly MessageBuffer _buffer = new(output);
    private int _writersWaiting;
    private int _flushScheduled;
    private volatile bool _closed;

    /// <summary>How many of the messages so far were encoded straight into the pipe's memory (read by tests).</summary>
    internal long EncodedInPlace { get; private set; }

    /// <summary>Whether the output is closed (completed here, broken, or no longer read by the other side).</summary>
    public bool IsClosed => _closed;

    /// <summary>Whether a write holds the gate now (perhaps stuck on a peer that does not read).</summary>
    public bool IsWriting => _gate.CurrentCount == 0;

    /// <summary>
    /// Encodes and writes <paramref name="message"/>; completes once it is written (and flushed, unless coalesced).
    /// <paramref name="streamItem"/>: one of a stream's items, whose producer may have the next at hand; its flush is
    /// coalesced as a burst's is (queued behind it, never left undone).
    /// </summary>
    public ValueTask SendAsync<TMessage>(TMessage message, bool streamItem = false) where TMessage : struct, IOutgoingMessage
    {
        if (_closed) throw closedReason();
        Interlocked.Increment(ref _writersWaiting);
        if (!_gate.Wait(0))
            return SendSlowAsync(message, streamItem);
        Interlocked.Decrement(ref _writersWaiting);
        bool release = true;
        try
        {
            ValueTask<FlushResult> flush = WriteLocked(in message, streamItem);
            if (!flush.IsCompletedSuccessfully)
            {
                release = false;
                return AwaitFlushAndReleaseAsync(flush);
            }
            OnFlushed(flush.Result);
            return default;
        }
        finally
        {
            if (release) _gate.Release();
        }
    }

    private async ValueTask SendSlowAsync<TMessage>(TMessage message, bool streamItem) where TMessage : struct, IOutgoingMessage
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        Interlocked.Decrement(ref _writersWaiting);
        try
        {
            if (_closed) throw closedReason();
            OnFlushed(await CompleteFlushAsync(WriteLocked(in message, streamItem)).ConfigureAwait(false));
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Waits until every write queued before has been written (the gate is fair); <see langword="false"/> if that took
    /// longer than <paramref name="patience"/>.
    /// </summary>
    public async ValueTask<bool> WaitForWritesAsync(TimeSpan patience)
    {
        if (!await _gate.WaitAsync(patience).ConfigureAwait(false)) return false;
        _gate.Release();
        return true;
    }

    /// <summary>Writes out everything queued so far and closes the output.</summary>
    public async Task CompleteAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            bool wasOpen = !_closed;
            _closed = true;
            if (wasOpen)
            {
                try { await output.FlushAsync().ConfigureAwait(false); }
                catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException) { log.LogOutputFailed(e); }
            }
            await output.CompleteAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task FlushScheduledAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            // Cleared before flushing: whatever is written after this point schedules another flush.
            Volatile.Write(ref _flushScheduled, 0);
            if (!_closed) OnFlushed(await CompleteFlushAsync(output.FlushAsync()).ConfigureAwait(false));
        }
        catch (Exception e)
        {
            log.LogOutputFailed(e);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async ValueTask AwaitFlushAndReleaseAsync(ValueTask<FlushResult> flush)
    {
        try { OnFlushed(await CompleteFlushAsync(flush).ConfigureAwait(false)); }
        finally { _gate.Release(); }
    }

    private async ValueTask<FlushResult> CompleteFlushAsync(ValueTask<FlushResult> flush)
    {
        try
        {
            return await flush.ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            _closed = true; // a broken pipe: the other side is gone or going
            throw new OutputClosedException("The connection's output is closed: " + e.Message, e);
        }
    }

    private void OnFlushed(FlushResult result)
    {
        if (result.IsCompleted) _closed = true; // the other side stopped reading
    }

    // The flush is left to a sender already waiting for the gate, if any: it will flush this message with its own. In
    // a burst (inBurst: other calls of this side outstanding, or other answers owed) and for a stream's item (its producer
    // often has the next at hand) it is left to a flush queued on the thread pool behind that work, which the items
    // written meanwhile join; a lone call or answer is still flushed at once, with no hand-off.
    private ValueTask<FlushResult> WriteLocked<TMessage>(in TMessage message, bool streamItem) where TMessage : struct, IOutgoingMessage
    {
        try { _buffer.Start(); }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException) { throw Closed(e); }
        try { message.Write(protocol, _buffer); } // a codec that throws leaves nothing in the pipe: the buffer commits nothing
        catch (PipeFailedException e) { throw Closed(e.InnerException!); }
        try
        {
            if (_buffer.Commit()) EncodedInPlace++;
            if (Volatile.Read(ref _writersWaiting) > 0) return default;
            if ((streamItem || inBurst()) && output.CanGetUnflushedBytes && output.UnflushedBytes < MaxUnflushed)
            {
                if (Interlocked.Exchange(ref _flushScheduled, 1) == 0)
                    ThreadPool.UnsafeQueueUserWorkItem(static w => _ = w.FlushScheduledAsync(), this, preferLocal: false);
                return default;
            }
            return output.FlushAsync();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            throw Closed(e);
        }
    }

    private OutputClosedException Closed(Exception e)
    {
        _closed = true;
        return new OutputClosedException("The connection's output is closed: " + e.Message, e);
    }
}

/// <summary>The output of a connection is closed: the message was not sent.</summary>
internal sealed class OutputClosedException(string message, Exception? inner = null) : SidecarException(message, inner);
