using System.Diagnostics.CodeAnalysis;

namespace SidecarKit.Rpc;

/// <summary>
/// The method names a connection has read before, by their UTF-8 bytes, so that a steady run of messages to the same
/// methods (calls, stream items, credits) reads each name without making a new string. One per connection's protocol:
/// used by the read loop only, so no locks. Bounded: a fixed table of <see cref="Slots"/> names of at most
/// <see cref="MaxLength"/> bytes; two names that land in the same slot take turns (the newer one stays), so a peer
/// that sends ever-new names costs what it cost without the cache, plus one small copy per name.
/// </summary>
internal sealed class MethodNameCache
{
    /// <summary>How many names the table holds (a power of two).</summary>
    public const int Slots = 256;

    /// <summary>Longer names are read as usual and not kept.</summary>
    public const int MaxLength = 128;

    private readonly Entry?[] _slots = new Entry?[Slots];

    /// <summary>The string of <paramref name="utf8"/> if this exact name was remembered before.</summary>
    public bool TryGet(ReadOnlySpan<byte> utf8, [NotNullWhen(true)] out string? name)
    {
        if (_slots[SlotOf(utf8)] is { } entry && utf8.SequenceEqual(entry.Utf8))
        {
            name = entry.Name;
            return true;
        }
        name = null;
        return false;
    }

    /// <summary>Keeps <paramref name="name"/>, decoded by the caller from <paramref name="utf8"/>, and returns it.</summary>
    public string Remember(ReadOnlySpan<byte> utf8, string name)
    {
        if (utf8.Length <= MaxLength) _slots[SlotOf(utf8)] = new Entry(utf8.ToArray(), name);
        return name;
    }

    // HashCode is seeded per process: a peer cannot aim names at one slot.
    private static int SlotOf(ReadOnlySpan<byte> utf8)
    {
        HashCode hash = default;
        hash.AddBytes(utf8);
        return hash.ToHashCode() & (Slots - 1);
    }

    // A class, so that a name and its bytes are replaced together: a slot is never seen half-written.
    private sealed record Entry(byte[] Utf8, string Name);
}
