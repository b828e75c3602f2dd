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
    private readonly Diagnostics.RpcTraceContext _trace;
    private readonly int _paramsDepth;   // the depth of the object the trace context goes into (a request's params)

    /// <summary>Wraps a writer.</summary>
    public JsonWireWriter(Utf8JsonWriter writer) => _w = writer;

    // For a request's params: the object written next gets "_meta" with the trace context as its last member.
    internal JsonWireWriter(Utf8JsonWriter writer, Diagnostics.RpcTraceContext trace)
    {
        _w = writer;
        _trace = trace;
        _paramsDepth = writer.CurrentDepth + 1;
    }

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
    public void WriteEndObject()
    {
        if (_trace.TraceParent is { } traceParent && _w.CurrentDepth == _paramsDepth)
        {
            _w.WritePropertyName(Diagnostics.RpcTraceContext.MetaMember);
            _w.WriteStartObject();
            _w.WriteString("traceparent"u8, traceParent);
            if (_trace.TraceState is { Length: > 0 } traceState) _w.WriteString("tracestate"u8, traceState);
            _w.WriteEndObject();
        }
        _w.WriteEndObject();
    }
    /// <inheritdoc />
    public void WriteStartVariant(WireMembers variants, int index, WireMembers members)
    {
        _w.WriteStartObject();
        if (variants.Names[index].Length > 0) _w.WriteString(JsonWireReader.TypeMember, variants.JsonNames[index]);
    }
    /// <inheritdoc />
    public void WriteEndVariant() => _w.WriteEndObject();
    /// <inheritdoc />
    public void WriteStartMap(int count) => _w.WriteStartObject();
    /// <inheritdoc />
    public void WriteKey(string key) => _w.WritePropertyName(key);
    /// <inheritdoc />
    public void WriteIntegerKey(long key)
    {
        Span<char> digits = stackalloc char[20];
        key.TryFormat(digits, out int length, default, CultureInfo.InvariantCulture);
        _w.WritePropertyName(digits[..length]);
    }
    /// <inheritdoc />
    public void WriteUnsignedKey(ulong key)
    {
        Span<char> digits = stackalloc char[20];
        key.TryFormat(digits, out int length, default, CultureInfo.InvariantCulture);
        _w.WritePropertyName(digits[..length]);
    }
    /// <inheritdoc />
    public void WriteEndMap() => _w.WriteEndObject();
}
