namespace SidecarKit.Wire;

/// <summary>The kind of the value a reader is positioned on.</summary>
public enum WireTokenKind
{
    /// <summary>No value (end of input).</summary>
    None,
    /// <summary>null / nil.</summary>
    Null,
    /// <summary>true or false.</summary>
    Boolean,
    /// <summary>An integer or floating-point number.</summary>
    Number,
    /// <summary>A string.</summary>
    String,
    /// <summary>A byte string.</summary>
    Bytes,
    /// <summary>An array.</summary>
    Array,
    /// <summary>An object or map.</summary>
    Object,
    /// <summary>A format-specific extension value (a MessagePack timestamp, for example).</summary>
    Extension,
}

/// <summary>
/// The primitives a wire format reads. A reader is always positioned on one value; the <c>Read*</c> methods read
/// the value it is positioned on, and <see cref="ReadNextItem"/> / <see cref="ReadNextMember"/> /
/// <see cref="ReadNextKey"/> move to the next value of the enclosing container. Readers throw
/// <see cref="WireFormatException"/> when the value is not of the requested kind or is out of range.
/// </summary>
public interface IWireReader
{
    /// <summary>The kind of the current value.</summary>
    WireTokenKind TokenKind { get; }
    /// <summary>Returns <see langword="true"/> (and consumes it) if the current value is null.</summary>
    bool TryReadNull();
    /// <summary>Reads a Boolean.</summary>
    bool ReadBoolean();
    /// <summary>Reads a signed integer.</summary>
    long ReadInt64();
    /// <summary>Reads an unsigned integer.</summary>
    ulong ReadUInt64();
    /// <summary>Reads a 32-bit float.</summary>
    float ReadSingle();
    /// <summary>Reads a 64-bit float.</summary>
    double ReadDouble();
    /// <summary>Reads a decimal.</summary>
    decimal ReadDecimal();
    /// <summary>Reads a string.</summary>
    string ReadString();
    /// <summary>Reads a byte string.</summary>
    byte[] ReadBytes();
    /// <summary>Reads a GUID.</summary>
    Guid ReadGuid();
    /// <summary>Reads a date and time.</summary>
    DateTime ReadDateTime();
    /// <summary>Reads a date and time with offset.</summary>
    DateTimeOffset ReadDateTimeOffset();
    /// <summary>Reads a duration.</summary>
    TimeSpan ReadTimeSpan();
    /// <summary>Enters the array the reader is positioned on.</summary>
    void ReadStartArray();
    /// <summary>Moves to the next item of the current array; <see langword="false"/> at its end.</summary>
    bool ReadNextItem();
    /// <summary>Enters the object the reader is positioned on. An array is accepted too: its items are the members by position.</summary>
    void ReadStartObject();
    /// <summary>
    /// Moves to the next member of the current object; <see langword="false"/> at its end. <paramref name="index"/> is
    /// set to the member's index in <paramref name="members"/>, or -1 for a member the table does not know (skip it
    /// with <see cref="Skip"/>). For an object given as an array, <paramref name="index"/> counts up from its value on
    /// entry (start it at -1); items past the table's end (a newer writer's) get an index of at least its count, and
    /// are skipped like unknown members.
    /// </summary>
    bool ReadNextMember(WireMembers members, ref int index);
    /// <summary>
    /// Reads which case of <paramref name="variants"/> (a base type's declared derived types, named by their
    /// discriminators and numbered by their tags) the polymorphic value the reader is positioned on holds, and leaves the
    /// reader positioned on that case's object, to be read whole by the case's codec (<see cref="ReadStartObject"/>).
    /// JSON and MessagePack look for the <c>"$type"</c> member anywhere in the object (the case's codec then skips it as
    /// an unknown member); without one, the case whose name is empty (the base itself), if any. Protocol Buffers reads the
    /// base's message for its oneof case (the last one, as protobuf says). Throws <see cref="WireFormatException"/> for a
    /// discriminator the table does not know or a value without one where no case has an empty name.
    /// </summary>
    int ReadVariant(WireMembers variants);
    /// <summary>Enters the map the reader is positioned on.</summary>
    void ReadStartMap();
    /// <summary>Moves to the next entry of the current map, reading its key; <see langword="false"/> at its end.</summary>
    bool ReadNextKey(out string key);
    /// <summary>Moves to the next entry of the current map, reading its signed integer key; <see langword="false"/> at its end.</summary>
    bool ReadNextIntegerKey(out long key);
    /// <summary>Moves to the next entry of the current map, reading its unsigned integer key; <see langword="false"/> at its end.</summary>
    bool ReadNextUnsignedKey(out ulong key);
    /// <summary>Skips the current value, including everything nested in it.</summary>
    void Skip();
}
