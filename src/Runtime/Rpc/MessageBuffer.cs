using System.Buffers;
using System.IO.Pipelines;

namespace SidecarKit.Rpc;

/// <summary>
/// Where a message is encoded: straight into the pipe's memory, committed (advanced) only once the message is whole, so
/// a codec that throws halfway leaves nothing in the pipe and a message that fits costs no copy. A message that
/// outgrows the room at hand while still small moves to a scratch buffer, to be copied in packed behind the messages
/// before it (asking the pipe for a fresh segment instead would send each small message in a write of its own); one
/// that grows large moves to fresh pipe memory of the size it asks for (its first bytes copied once) unless that would
/// pass <c>maxPiece</c>, when it too goes to the scratch buffer.
/// </summary>
internal sealed class MessageBuffer(PipeWriter output, int smallMessage, int maxPiece) : IBufferWriter<byte>
{
    private ArrayBufferWriter<byte> _scratch = new(256);
    private Memory<byte> _target;
    private int _written;
    private bool _spilled;

    /// <summary>The message, when <see cref="Commit"/> said it is not in the pipe.</summary>
    public ArrayBufferWriter<byte> Scratch => _scratch;

    /// <summary>Starts a message in the room the pipe has at hand.</summary>
    public void Start()
    {
        // Only a message past maxPiece grows the scratch past it; its memory is not kept for the messages after it.
        if (_scratch.Capacity > maxPiece) _scratch = new ArrayBufferWriter<byte>(256);
        else _scratch.ResetWrittenCount();
        _written = 0;
        _spilled = false;
        _target = output.GetMemory();
    }

    /// <summary>
    /// Ends the message: <see langword="true"/> if it was encoded in the pipe's memory (now advanced past it);
    /// <see langword="false"/> if it is in <see cref="Scratch"/>, for the caller to write.
    /// </summary>
    public bool Commit()
    {
        _target = default;
        if (_spilled) return false;
        int written = _written;
        _written = 0; // an Advance after the message is over finds no room, and throws
        output.Advance(written);
        return true;
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
        if (length <= smallMessage || length > maxPiece)
        {
            _spilled = true;
            return _scratch.GetMemory(sizeHint);
        }
        // Nothing is advanced, so the pipe hands out fresh room; the bytes so far were set aside first, since the pipe
        // need not keep the memory it handed out before. The room at least doubles, so a message written in small
        // pieces (a codec asking for one more byte at a time) is moved a bounded number of times.
        int room = (int)Math.Min(Math.Max(length, 2L * _written) + smallMessage, maxPiece);
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
