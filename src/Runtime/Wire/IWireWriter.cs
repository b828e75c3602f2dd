namespace SidecarKit.Wire;

/// <summary>
/// The primitives a wire format writes. Generated codecs are generic over an implementing struct, so each format
/// gets its own specialised code with no virtual calls.
/// </summary>
/// <remarks>
/// Objects with a known shape (DTOs, parameter lists) are written with <see cref="WriteStartObject"/> /
/// <see cref="WriteMember"/>; string-keyed dictionaries with <see cref="WriteStartMap"/> / <see cref="WriteKey"/>.
/// Every member of a known shape is written, in table order, so formats that need counts up front (MessagePack) or
/// field numbers (protobuf) find them in the <see cref="WireMembers"/> table.
/// </remarks>
public interface IWireWriter
{
    /// <summary>Writes a null.</summary>
    void WriteNull();
    /// <summary>Writes a Boolean.</summary>
    void WriteBoolean(bool value);
    /// <summary>Writes a signed integer.</summary>
    void WriteInt64(long value);
    /// <summary>Writes an unsigned integer.</summary>
    void WriteUInt64(ulong value);
    /// <summary>Writes a 32-bit float.</summary>
    void WriteSingle(float value);
    /// <summary>Writes a 64-bit float.</summary>
    void WriteDouble(double value);
    /// <summary>Writes a decimal.</summary>
    void WriteDecimal(decimal value);
    /// <summary>Writes a string.</summary>
    void WriteString(string value);
    /// <summary>Writes a byte string.</summary>
    void WriteBytes(ReadOnlySpan<byte> value);
    /// <summary>Writes a GUID.</summary>
    void WriteGuid(Guid value);
    /// <summary>Writes a date and time.</summary>
    void WriteDateTime(DateTime value);
    /// <summary>Writes a date and time with offset.</summary>
    void WriteDateTimeOffset(DateTimeOffset value);
    /// <summary>Writes a duration.</summary>
    void WriteTimeSpan(TimeSpan value);
    /// <summary>Starts an array of <paramref name="count"/> items.</summary>
    void WriteStartArray(int count);
    /// <summary>Ends the current array.</summary>
    void WriteEndArray();
    /// <summary>Starts an object of the shape <paramref name="members"/>.</summary>
    void WriteStartObject(WireMembers members);
    /// <summary>Writes the name of member <paramref name="index"/>; its value follows.</summary>
    void WriteMember(WireMembers members, int index);
    /// <summary>Ends the current object.</summary>
    void WriteEndObject();
    /// <summary>
    /// Starts a polymorphic value: case <paramref name="index"/> of <paramref name="variants"/> (a base type's declared
    /// derived types, each named by its discriminator and numbered by its tag), an object of the shape
    /// <paramref name="members"/> whose members follow (<see cref="WriteMember"/>). JSON and MessagePack write the object
    /// with a first member <c>"$type"</c> holding the discriminator (none when it is empty: the base itself); Protocol
    /// Buffers writes the base's message with the case's field set to the object. Ends with <see cref="WriteEndVariant"/>.
    /// </summary>
    void WriteStartVariant(WireMembers variants, int index, WireMembers members);
    /// <summary>Ends the polymorphic value <see cref="WriteStartVariant"/> started.</summary>
    void WriteEndVariant();
    /// <summary>Starts a map of <paramref name="count"/> entries (keys by <see cref="WriteKey"/>, <see cref="WriteIntegerKey"/> or <see cref="WriteUnsignedKey"/>).</summary>
    void WriteStartMap(int count);
    /// <summary>Writes a map key; its value follows.</summary>
    void WriteKey(string key);
    /// <summary>Writes a signed integer map key (JSON: its digits as the member name); its value follows.</summary>
    void WriteIntegerKey(long key);
    /// <summary>Writes an unsigned integer map key (JSON: its digits as the member name); its value follows.</summary>
    void WriteUnsignedKey(ulong key);
    /// <summary>Ends the current map.</summary>
    void WriteEndMap();
}
