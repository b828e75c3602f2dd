using System.Buffers;
using MessagePack;

namespace SidecarKit.Transports.MessagePack;

/// <summary>What <see cref="MessagePackFraming.TryGetObject"/> found.</summary>
public enum FrameStatus
{
    /// <summary>One complete object starts the buffer.</summary>
    Complete,
    /// <summary>The object is not complete yet: more bytes are needed.</summary>
    Incomplete,
    /// <summary>The bytes are not valid MessagePack, or break a limit; the stream cannot be resynchronised.</summary>
    Invalid,
}

/// <summary>
/// Finds where one MessagePack object ends in a stream of objects (MessagePack-RPC has no length prefix) without
/// throwing and without decoding: "incomplete" is an answer, not an error. Walks the object's headers with
/// MessagePack-CSharp's <see cref="MessagePackReader"/> (its non-throwing header reads), so that a size or depth limit is
/// enforced as soon as a header announces too much, before the bytes arrive: every element announced takes at least
/// one byte, so an array or map header counting more elements than the limit has bytes is refused at once.
/// </summary>
/// <remarks>
/// Each call walks the object from its first byte. A connection, whose bytes arrive in pieces, uses
/// <see cref="MessagePackObjectFraming"/> instead, which resumes where the previous piece ended.
/// </remarks>
public static class MessagePackFraming
{
    /// <summary>Looks for one complete object at the start of <paramref name="buffer"/>.</summary>
    /// <param name="buffer">The bytes received so far.</param>
    /// <param name="maxDepth">The deepest nesting of arrays and maps allowed.</param>
    /// <param name="maxSize">The largest object allowed, in bytes.</param>
    /// <param name="length">For <see cref="FrameStatus.Complete"/>: the object's length in bytes.</param>
    /// <param name="error">For <see cref="FrameStatus.Invalid"/>: why.</param>
    public static FrameStatus TryGetObject(ReadOnlySequence<byte> buffer, int maxDepth, long maxSize, out long length, out string? error)
        => new MessagePackObjectScanner(maxDepth, maxSize).TryGetObject(buffer, out length, out error);
}
