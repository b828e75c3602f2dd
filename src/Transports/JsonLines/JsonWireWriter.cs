using System.Globalization;
using System.Text.Json;
using SidecarKit.Wire;

namespace SidecarKit.Transports.JsonLines;

/// <summary>
/// <see cref="IWireWriter"/> over <see cref="Utf8JsonWriter"/>: the JSON value conventions of <c>docs/protocol.md</c>
/// (base64 bytes, ISO 8601 dates, <c>c</c>-format durations, non-finite floats as the strings <c>NaN</c>,
/// <c>Infinity</c>, <c>-Infinity</c>).
/// </summary>
public readonly struct JsonWireWriter : IWireWriter
{
    private readonly Utf8JsonWriter _w;

    /// <summary>Wraps a writer.</summary>
    public JsonWireWriter(Utf8JsonWriter writer) => _w = writer;

    /// <inheritdoc />
    public void WriteNull() => _w.WriteNullValue();
    /// <inheritdoc />
    public void WriteBoolean(bool value) => _w.WriteBooleanValue(value);
    /// <inheritdoc />
    public void WriteInt64(long value) => _w.WriteNumberValue(value);
    /// <inheritdoc />
    public void WriteUInt64(ulong value) => _w.WriteNumberValue(value);
    /// <inheritdoc />
    public void WriteSingle(float value)
    {
        if (float.IsFinite(value)) _w.WriteNumberValue(value);
        else WriteNonFinite(value);
    }
    /// <inheritdoc />
    public void WriteDouble(double value)
    {
        if (double.IsFinite(value)) _w.WriteNumberValue(value);
        else WriteNonFinite(value);
    }
    private void WriteNonFinite(double value)
        => _w.WriteStringValue(double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
    /// <inheritdoc />
    public void WriteDecimal(decimal value) => _w.WriteNumberValue(value);
    /// <inheritdoc />
    public void WriteString(string value) => _w.WriteStringValue(value);
    /// <inheritdoc />
    public void WriteBytes(ReadOnlySpan<byte> value) => _w.WriteBase64StringValue(value);
    /// <inheritdoc />
    public void WriteGuid(Guid value) => _w.WriteStringValue(value);
    /// <inheritdoc />
    public void WriteDateTime(DateTime value) => _w.WriteStringValue(value);
    /// <inheritdoc />
    public void WriteDateTimeOffset(DateTimeOffset value) => _w.WriteStringValue(value);
    /// <inheritdoc />
    public void WriteTimeSpan(TimeSpan value)
    {
        Span<char> text = stackalloc char[32];
        value.TryFormat(text, out int written, "c", CultureInfo.InvariantCulture);
        _w.WriteStringValue(text[..written]);
    }
    /// <inheritdoc />
    public void WriteStartArray(int count) => _w.WriteStartArray();
    /// <inheritdoc />
    public void WriteEndArray() => _w.WriteEndArray();
    /// <inheritdoc />
    public void WriteStartObject(WireMembers members) => _w.WriteStartObject();
    /// <inheritdoc />
    public void WriteMember(WireMembers members, int index) => _w.WritePropertyName(members.JsonNames[index]);
    /// <inheritdoc />
    public void WriteEndObject() => _w.WriteEndObject();
    /// <inheritdoc />
    public void WriteStartMap(int count) => _w.WriteStartObject();
    /// <inheritdoc />
    public void WriteKey(string key) => _w.WritePropertyName(key);
    /// <inheritdoc />
    public void WriteEndMap() => _w.WriteEndObject();
}
