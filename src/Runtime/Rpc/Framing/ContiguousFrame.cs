using System.Buffers;

namespace SidecarKit.Rpc.Framing;

/// <summary>
/// A frame's bytes in one piece, for the envelope parsers (which read one contiguous buffer): the input's own memory
/// when the frame lies in one segment of it, else a copy in an array rented from the shared pool. The read loop routes
/// and releases each message before it advances its reader, so the input's memory stays valid for as long as the
/// message's payload is read; a frame that straddles two segments (a large one always does) pays the copy.
/// </summary>
internal readonly struct ContiguousFrame
{
    private ContiguousFrame(ReadOnlyMemory<byte> bytes, byte[]? rented)
    {
        Bytes = bytes;
        Rented = rented;
    }

    /// <summary>The frame's bytes.</summary>
    public ReadOnlyMemory<byte> Bytes { get; }

    /// <summary>The array the frame was copied into, if it was: the message's state, returned by <see cref="Return"/>.</summary>
    public byte[]? Rented { get; }

    /// <summary>The bytes of <paramref name="frame"/> in one piece.</summary>
    public static ContiguousFrame Of(in ReadOnlySequence<byte> frame)
    {
        if (frame.IsSingleSegment) return new(frame.First, null);
        int length = checked((int)frame.Length);
        byte[] rented = ArrayPool<byte>.Shared.Rent(length);
        frame.CopyTo(rented);
        return new(rented.AsMemory(0, length), rented);
    }

    /// <summary>Gives back the array a message's frame was copied into (its <see cref="RpcMessage.State"/>), if any.</summary>
    public static void Return(in RpcMessage message)
    {
        if (message.State is byte[] rented) ArrayPool<byte>.Shared.Return(rented);
    }
}
