using System.Buffers;

namespace SidecarKit.Transports.Grpc;

/// <summary>
/// The request stream of a client-streaming or bidirectional call, between grpc-dotnet's writer and the HTTP/2 stream.
/// grpc-dotnet's client writer flushes after every message (whatever its <c>WriteOptions</c> say), and each flush of
/// an HTTP/2 request stream is a round trip through the connection's frame writer: one DATA frame, and a wait, per
/// item. Here a write only copies the message into a buffer and a flush only makes sure a drain is running; the drain
/// hands everything buffered to the HTTP/2 stream in one write and one flush, while the writer goes on filling the
/// other buffer. A writer that waits between items sees its item sent at once (the drain starts at its flush, with
/// no timer); a writer with items to spare gets many per DATA frame. At most <see cref="Limit"/> bytes wait here:
/// past that a write waits for the drain, so HTTP/2 flow control still holds the writer back.
/// </summary>
internal sealed class CoalescingWriteStream(Stream inner) : Stream
{
    /// <summary>How many bytes may wait for the drain before a write waits for it.</summary>
    internal const int Limit = 64 * 1024;

    private readonly Lock _lock = new();
    private byte[] _filling = [];   // what writes append to
    private int _filled;
    private bool _flushWanted;
    private Task? _drain;           // the drain running, if any
    private Exception? _failure;    // why the HTTP/2 stream failed: every later write and flush throws it

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Task? full;
        lock (_lock)
        {
            ThrowIfFailed();
            if (_filling.Length - _filled < buffer.Length) Grow(buffer.Length);
            buffer.Span.CopyTo(_filling.AsSpan(_filled));
            _filled += buffer.Length;
            full = _filled >= Limit ? StartDrain() : null;
        }
        return full is null ? ValueTask.CompletedTask : new ValueTask(WaitAsync(full, cancellationToken));
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            ThrowIfFailed();
            _flushWanted = true;
            StartDrain();
        }
        return Task.CompletedTask;
    }

    /// <summary>Waits until everything written has been handed to the HTTP/2 stream and flushed; throws its failure.</summary>
    public async Task DrainAsync()
    {
        while (true)
        {
            Task? drain;
            lock (_lock)
            {
                if (_failure is null && (_filled > 0 || _flushWanted)) StartDrain();
                drain = _drain;
                if (drain is null)
                {
                    ThrowIfFailed();
                    return;
                }
            }
            await drain.ConfigureAwait(false);
        }
    }

    // Under the lock. Starts the drain unless one runs (it takes what is buffered when it gets there); returns it.
    private Task StartDrain()
    {
        if (_drain is null) _drain = Task.Run(DrainLoopAsync);
        return _drain;
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
                    if (_filled == 0 && !_flushWanted)
                    {
                        _drain = null;
                        break;
                    }
                    // Swap the buffers: writes go on into the one just sent.
                    (sending, _filling) = (_filling, sending);
                    count = _filled;
                    _filled = 0;
                    _flushWanted = false;
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
                _drain = null;
            }
        }
        finally
        {
            if (sending.Length > 0) ArrayPool<byte>.Shared.Return(sending);
        }
    }

    // A write past the limit waits for the drain to take everything, and fails if the drain did.
    private async Task WaitAsync(Task drain, CancellationToken cancellationToken)
    {
        await drain.WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (_lock) ThrowIfFailed();
    }

    // Under the lock.
    private void Grow(int more)
    {
        byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Max(_filled + more, 4096));
        _filling.AsSpan(0, _filled).CopyTo(larger);
        if (_filling.Length > 0) ArrayPool<byte>.Shared.Return(_filling);
        _filling = larger;
    }

    private void ThrowIfFailed()
    {
        if (_failure is { } failure) throw new IOException("The request stream failed: " + failure.Message, failure);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_lock)
            {
                // A drain still running returns its own buffer; the one writes filled goes back now.
                if (_drain is null && _filling.Length > 0) ArrayPool<byte>.Shared.Return(_filling);
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
