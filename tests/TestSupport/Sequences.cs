using System.Buffers;

namespace SidecarKit.Tests.Support;

/// <summary>Byte sequences in several segments, as a pipe hands them out, over one array (so nothing is copied).</summary>
public static class Sequences
{
    /// <summary><paramref name="bytes"/> as consecutive segments that end at each of <paramref name="cuts"/> (ascending, inside the array).</summary>
    public static ReadOnlySequence<byte> Split(byte[] bytes, params int[] cuts)
    {
        if (cuts.Length == 0) return new ReadOnlySequence<byte>(bytes);
        for (int i = 0; i < cuts.Length; i++)
            if (cuts[i] <= (i == 0 ? 0 : cuts[i - 1]) || cuts[i] >= bytes.Length)
                throw new ArgumentOutOfRangeException(nameof(cuts), $"cut {cuts[i]}: cuts must ascend strictly inside the {bytes.Length} bytes (no empty segment)");
        var first = new Segment(bytes.AsMemory(0, cuts[0]), 0);
        Segment last = first;
        for (int i = 0; i < cuts.Length; i++)
            last = last.Append(bytes.AsMemory(cuts[i], (i + 1 < cuts.Length ? cuts[i + 1] : bytes.Length) - cuts[i]));
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary><paramref name="bytes"/> in segments of <paramref name="size"/> bytes (the last one shorter).</summary>
    public static ReadOnlySequence<byte> InSegmentsOf(byte[] bytes, int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        int[] cuts = Enumerable.Range(1, (bytes.Length - 1) / size).Select(i => i * size).ToArray();
        return Split(bytes, cuts);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
