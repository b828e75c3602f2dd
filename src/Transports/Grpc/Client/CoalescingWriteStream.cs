using System.Buffers;

namespace SidecarKit.Transports.Grpc;

/// <summary>
/// The request stream of a client-streaming or bidirectional call, between grpc-dotnet's writer and the HTTP/2 stream.
/// grpc-dotnet's client writer flushes after every message (whatever its <c>WriteOptions</c> say), and each flush of
/// an HTTP/2 request stream is a round trip through the connection's frame writer: one DATA frame, and a wait, per
/// item. Here a write only copies the message into a buffer and a flush only makes sure a drain is running; the drain
/// hands everything buffered to the HTTP/2 stream in one write and one flush, while the writer goes on filling the
/// other buffer. A writer that waits between items sees its item sent at once (the drain starts at its flush, on its
/// own thread, with no timer); a writer with items to spare gets many per DATA frame. Once <see cref="Limit"/> bytes
/// wait here a write waits until the drain takes them, so HTTP/2 flow control still holds the writer back, and a large
/// item is copied while the one before it is being sent.
/// </summary>
/// <remarks>
/// One writer at a time (grpc-dotnet's writer allows no overlapping writes). A failure of the HTTP/2 stream is kept and
/// fails every later write and flush, and the end of the request body (<see cref="DrainAsync"/>), with the stream's own
/// exception.
/// </remarks>
internal sealed class CoalescingWriteStream(Stream inner) : Stream
{
    /// <summary>How many bytes may wait for the drain before a write waits for it to take them.</summary>
    internal const int Limit = 64 * 1024;

    private readonly Lock _lock = new();
    private byte[] _filling = [];   // what writes append to; the drain owns the other buffer while it sends it
    private int _filled;
    private bool _flushWanted;
    private bool _draining;
    private bool _disposed;
    private TaskCompletionSource? _taken;   // completed when the drain next takes the buffer (or stops)
    private TaskCompletionSource? _idle;    // completed when the drain stops
    private Exception? _failure;            // why the HTTP/2 stream failed

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Task taken;
        bool start;
        lock (_lock)
        {
            if (Refusal() is { } refusal) return ValueTask.FromException(refusal);
            if (_filling.Length - _filled < buffer.Length) Grow(buffer.Length);
            buffer.Span.CopyTo(_filling.AsSpan(_filled));
            _filled += buffer.Length;
            if (_filled < Limit) return ValueTask.CompletedTask;
            start = StartDrain();
            taken = (_taken ??= NewSignal()).Task;
        }
        if (start) _ = DrainLoopAsync();
        return new ValueTask(WaitTakenAsync(taken, cancellationToken));
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        bool start;
        lock (_lock)
        {
            if (Refusal() is { } refusal) return Task.FromException(refusal);
            _flushWanted = true;
            start = StartDrain();
        }
        if (start) _ = DrainLoopAsync();
        return Task.CompletedTask;
    }

    /// <summary>Waits until everything written has been handed to the HTTP/2 stream and flushed; throws its failure.</summary>
    public async Task DrainAsync()
    {
        while (true)
        {
            Task idle;
            bool start = false;
            lock (_lock)
            {
                if (_failure is null && !_draining && (_filled > 0 || _flushWanted)) start = StartDrain();
                if (!_draining)
                {
                    if (_failure is { } failure) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
                    return;
                }
                idle = (_idle ??= NewSignal()).Task;
            }
            if (start) _ = DrainLoopAsync();
            await idle.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The request body ends without its end being sent (the call failed or was reset): later writes are refused, and
    /// this waits for a drain still running, so that nothing touches the HTTP/2 stream after the body is over.
    /// </summary>
    public async Task AbandonAsync()
    {
        Task? idle;
        lock (_lock)
        {
            _disposed = true;
            idle = _draining ? (_idle ??= NewSignal()).Task : null;
        }
        if (idle is not null) await idle.ConfigureAwait(false);
    }

    // Under the lock: whether the caller must start the drain (it is started outside the lock, on the caller's thread,
    // and runs there until its first write waits).
    private bool StartDrain()
    {
        if (_draining) return false;
        _draining = true;
        return true;
    }

    private async Task DrainLoopAsync()
    {
        byte[] sending = [];
        try
        {
            while (true)
            {
                int count;
                lock (_lock)
                {
                    if ((_filled == 0 && !_flushWanted) || _disposed)
                    {
                        Stopped();
                        break;
                    }
                    // Swap the buffers: writes go on into the one just sent.
                    (sending, _filling) = (_filling, sending);
                    count = _filled;
                    _filled = 0;
                    _flushWanted = false;
                    Signal(ref _taken);
                }
                if (count > 0) await inner.WriteAsync(sending.AsMemory(0, count)).ConfigureAwait(false);
                await inner.FlushAsync().ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            lock (_lock)
            {
                _failure = e;
                Stopped();
            }
        }
        finally
        {
            if (sending.Length > 0) ArrayPool<byte>.Shared.Return(sending);
        }
    }

    // Under the lock: the drain has stopped; whoever waits for it goes on.
    private void Stopped()
    {
        _draining = false;
        Signal(ref _taken);
        Signal(ref _idle);
    }

    private static void Signal(ref TaskCompletionSource? signal)
    {
        signal?.TrySetResult();
        signal = null;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    // A write past the limit goes on once the drain has taken the buffer, and fails if the drain failed instead.
    private async Task WaitTakenAsync(Task taken, CancellationToken cancellationToken)
    {
        await taken.WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            if (_failure is { } failure) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
    }

    // Under the lock. The HTTP/2 stream's own exception (grpc-dotnet maps a cancellation or a disposal to the call's
    // status by its type).
    private Exception? Refusal()
        => _failure ?? (_disposed ? new ObjectDisposedException(nameof(CoalescingWriteStream), "The request body has ended.") : null);

    // Under the lock.
    private void Grow(int more)
    {
        byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Max(_filled + more, 4096));
        _filling.AsSpan(0, _filled).CopyTo(larger);
        if (_filling.Length > 0) ArrayPool<byte>.Shared.Return(_filling);
        _filling = larger;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_lock)
            {
                _disposed = true;
                // A drain still running stops at its next turn and returns its own buffer; the one writes filled goes back
                // now unless a drain may still take it.
                if (!_draining && _filling.Length > 0) ArrayPool<byte>.Shared.Return(_filling);
                _filling = [];
                _filled = 0;
            }
        }
        base.Dispose(disposing);
    }

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();
    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
