using System.Buffers;
using System.IO.Pipelines;

namespace SidecarKit.Rpc;

/// <summary>
/// Where a message is encoded: straight into the pipe's memory, committed (advanced) only once the message is whole, so
/// a codec that throws halfway leaves nothing in the pipe and a message that fits costs no copy. A message that
/// outgrows the room at hand while still small moves to a scratch buffer, to be copied in packed behind the messages
/// before it (asking the pipe for a fresh segment instead would send each small message in a write of its own); one
/// that grows large moves to fresh pipe memory of the size it asks for (its first bytes copied once) unless that would
/// pass <see cref="MaxPiece"/>, when it too goes to the scratch buffer.
/// </summary>
internal sealed class MessageBuffer(PipeWriter output) : IBufferWriter<byte>
{
    /// <summary>Messages up to this size are packed into the pipe's segments behind the ones before them.</summary>
    public const int SmallMessage = 4096;

    /// <summary>The largest piece of pipe memory one message takes; a larger message is copied in pieces of this size.</summary>
    public const int MaxPiece = 1024 * 1024;

    private ArrayBufferWriter<byte> _scratch = new(256);
    private Memory<byte> _target;
    private int _written;
    private bool _spilled;

    /// <summary>Starts a message in the room the pipe has at hand.</summary>
    public void Start()
    {
        // Only a message past MaxPiece grows the scratch past it; its memory is not kept for the messages after it.
        if (_scratch.Capacity > MaxPiece) _scratch = new ArrayBufferWriter<byte>(256);
        else _scratch.ResetWrittenCount();
        _written = 0;
        _spilled = false;
        _target = output.GetMemory();
    }

    /// <summary>
    /// Ends the message and puts it in the pipe: <see langword="true"/> if it was encoded in the pipe's memory (now
    /// advanced past it), <see langword="false"/> if it was copied in from the scratch buffer.
    /// </summary>
    public bool Commit()
    {
        _target = default;
        if (_spilled)
        {
            CopyIn(_scratch.WrittenSpan);
            return false;
        }
        int written = _written;
        _written = 0; // an Advance after the message is over finds no room, and throws
        output.Advance(written);
        return true;
    }

    // A small message is packed behind the ones before it. A larger one gets contiguous pieces of the pipe of up to
    // MaxPiece: PipeWriter's Write would spread it over 4 KiB segments, which the stream's pipe writer writes out with a
    // system call each (a 64 KiB stream chunk in 16); the cap keeps a message near the size limit from holding (and
    // leaving in the shared pool) an array of twice its size.
    private void CopyIn(ReadOnlySpan<byte> message)
    {
        if (message.Length <= SmallMessage)
        {
            output.Write(message);
            return;
        }
        while (!message.IsEmpty)
        {
            Span<byte> piece = output.GetSpan(Math.Min(message.Length, MaxPiece));
            int n = Math.Min(piece.Length, message.Length);
            message[..n].CopyTo(piece);
            output.Advance(n);
            message = message[n..];
        }
    }

    /// <inheritdoc />
    public void Advance(int count)
    {
        if (_spilled)
        {
            _scratch.Advance(count);
            return;
        }
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)count, (uint)(_target.Length - _written), nameof(count));
        _written += count;
    }

    /// <inheritdoc />
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        if (_spilled) return _scratch.GetMemory(sizeHint);
        int need = Math.Max(sizeHint, 1);
        if (_target.Length - _written >= need) return _target[_written..];

        long length = (long)_written + need;
        _scratch.Write(_target.Span[.._written]);
        if (length <= SmallMessage || length > MaxPiece)
        {
            _spilled = true;
            return _scratch.GetMemory(sizeHint);
        }
        // Nothing is advanced, so the pipe hands out fresh room; the bytes so far were set aside first, since the pipe
        // need not keep the memory it handed out before. The room at least doubles, so a message written in small
        // pieces (a codec asking for one more byte at a time) is moved a bounded number of times.
        int room = (int)Math.Min(Math.Max(length, 2L * _written) + SmallMessage, MaxPiece);
        try
        {
            _target = output.GetMemory(room);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            throw new PipeFailedException(e); // not the codec's failure: the writer closes the connection's output
        }
        _scratch.WrittenSpan.CopyTo(_target.Span);
        _scratch.ResetWrittenCount();
        return _target[_written..];
    }

    /// <inheritdoc />
    public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
}

/// <summary>The pipe failed while a message was being encoded into it (thrown through the codec, told apart from its own failures).</summary>
internal sealed class PipeFailedException(Exception inner) : Exception(inner.Message, inner);
