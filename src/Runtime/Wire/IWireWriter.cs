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
