using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.InteropServices;

namespace SidecarKit.Tests.Support;

/// <summary>
/// A <see cref="PipeReader"/> that overwrites the bytes its reader consumed before it gives them back to the pipe, as
/// a pipe's next write into reused memory would. Protocols may parse a message where it lies in the input, so anything
/// that used a message's bytes after the read loop advanced past them (a payload read late, a value that kept a slice)
/// would read this garbage; every in-memory connection of the tests reads through one.
/// </summary>
public sealed class ScribblingPipeReader(PipeReader inner) : PipeReader
{
    private ReadOnlySequence<byte> _read;

    /// <summary>What consumed bytes become.</summary>
    public const byte Scribble = 0xEE;

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        foreach (ReadOnlyMemory<byte> segment in _read.Slice(_read.Start, consumed))
            MemoryMarshal.AsMemory(segment).Span.Fill(Scribble);
        _read = default;
        inner.AdvanceTo(consumed, examined);
    }

    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        ReadResult result = await inner.ReadAsync(cancellationToken).ConfigureAwait(false);
        _read = result.Buffer;
        return result;
    }

    public override bool TryRead(out ReadResult result)
    {
        if (!inner.TryRead(out result)) return false;
        _read = result.Buffer;
        return true;
    }

    public override void CancelPendingRead() => inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);
}
