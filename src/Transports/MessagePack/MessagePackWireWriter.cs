using System.Buffers;
using System.Globalization;
using SidecarKit.Wire;

namespace SidecarKit.Transports.MessagePack;

/// <summary>
/// <see cref="IWireWriter"/> over MessagePack. DTOs are maps keyed by their camelCase member names (what clients in
/// other languages expect); <c>byte[]</c> is bin; <c>DateTime</c>/<c>DateTimeOffset</c> are timestamps (extension -1,
/// the UTC instant); <c>Guid</c>, <c>TimeSpan</c> and <c>decimal</c> are strings (<c>D</c>, <c>c</c> and invariant formats).
/// </summary>
/// <param name="output">Where the bytes go.</param>
/// <param name="firstObjectAsArray">Write the outermost object by position (MessagePack-RPC params).</param>
/// <param name="objectsAsArrays">Write every object by position (<see cref="MessagePackObjectLayout.Array"/>).</param>
public struct MessagePackWireWriter(IBufferWriter<byte> output, bool firstObjectAsArray = false, bool objectsAsArrays = false) : IWireWriter
{
    private readonly MessagePackWriter _w = new(output);
    private readonly bool _objectsAsArrays = objectsAsArrays;

    // MessagePack-RPC params are a positional array: the outermost object (the params) is written as one.
    private bool _nextObjectAsArray = firstObjectAsArray;
    private ulong _arrayObjects;   // bit per depth: the object at that depth is an array (its member names are not written)
    private int _depth;

    /// <inheritdoc />
    public void WriteNull() => _w.WriteNil();
    /// <inheritdoc />
    public void WriteBoolean(bool value) => _w.WriteBoolean(value);
    /// <inheritdoc />
    public void WriteInt64(long value) => _w.WriteInt64(value);
    /// <inheritdoc />
    public void WriteUInt64(ulong value) => _w.WriteUInt64(value);
    /// <inheritdoc />
    public void WriteSingle(float value) => _w.WriteSingle(value);
    /// <inheritdoc />
    public void WriteDouble(double value) => _w.WriteDouble(value);
    /// <inheritdoc />
    public void WriteDecimal(decimal value) => _w.WriteString(value.ToString(CultureInfo.InvariantCulture));
    /// <inheritdoc />
    public void WriteString(string value) => _w.WriteString(value);
    /// <inheritdoc />
    public void WriteBytes(ReadOnlySpan<byte> value) => _w.WriteBinary(value);
    /// <inheritdoc />
    public void WriteGuid(Guid value) => _w.WriteString(value.ToString("D"));
    /// <inheritdoc />
    public void WriteDateTime(DateTime value)
        => _w.WriteTimestamp(new DateTimeOffset(value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : DateTime.SpecifyKind(value, DateTimeKind.Utc)));
    /// <inheritdoc />
    public void WriteDateTimeOffset(DateTimeOffset value) => _w.WriteTimestamp(value);
    /// <inheritdoc />
    public void WriteTimeSpan(TimeSpan value) => _w.WriteString(value.ToString("c", CultureInfo.InvariantCulture));
    /// <inheritdoc />
    public void WriteStartArray(int count) => _w.WriteArrayHeader(count);
    /// <inheritdoc />
    public void WriteEndArray() { }
    /// <inheritdoc />
    public void WriteStartObject(WireMembers members)
    {
        _depth++;
        if (_nextObjectAsArray || _objectsAsArrays)
        {
            _nextObjectAsArray = false;
            _arrayObjects |= 1UL << _depth;
            _w.WriteArrayHeader(members.Count);
        }
        else
        {
            _arrayObjects &= ~(1UL << _depth);
            _w.WriteMapHeader(members.Count);
        }
    }

    /// <inheritdoc />
    public void WriteMember(WireMembers members, int index)
    {
        if ((_arrayObjects & (1UL << _depth)) == 0) _w.WriteString(members.Utf8Names[index]);
    }

    /// <inheritdoc />
    public void WriteEndObject() => _depth--;
    /// <inheritdoc />
    public void WriteStartMap(int count) => _w.WriteMapHeader(count);
    /// <inheritdoc />
    public void WriteKey(string key) => _w.WriteString(key);
    /// <inheritdoc />
    public void WriteEndMap() { }
}
