using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using MessagePack;
using SidecarKit.Wire;

namespace SidecarKit.Transports.MessagePack;

/// <summary>
/// <see cref="IWireWriter"/> over MessagePack-CSharp's <see cref="MessagePackWriter"/>, which writes straight into the
/// output's buffer in the smallest encoding of each value. DTOs are maps keyed by their camelCase member names (what
/// clients in other languages expect); <c>byte[]</c> is bin; <c>DateTime</c>/<c>DateTimeOffset</c> are timestamps
/// (extension -1, the UTC instant); <c>Guid</c>, <c>TimeSpan</c> and <c>decimal</c> are strings (<c>D</c>, <c>c</c>
/// and invariant formats). Call <see cref="Flush"/> when done: the library writer commits its bytes to the output then.
/// </summary>
public ref struct MessagePackWireWriter : IWireWriter
{
    private MessagePackWriter _w;
    private readonly bool _objectsAsArrays;

    // MessagePack-RPC params are a positional array: the outermost object (the params) is written as one.
    private bool _nextObjectAsArray;
    private ulong _arrayObjects;   // bit per depth: the object at that depth is an array (its member names are not written)
    private int _depth;
    private Diagnostics.RpcTraceContext _trace;   // for a request's params: a trailing {"_meta": …} after the last one
    private int _traceDepth;

    /// <summary>Writes to <paramref name="output"/>.</summary>
    /// <param name="output">Where the bytes go.</param>
    /// <param name="firstObjectAsArray">Write the outermost object by position (MessagePack-RPC params).</param>
    /// <param name="objectsAsArrays">Write every object by position (<see cref="MessagePackObjectLayout.Array"/>).</param>
    public MessagePackWireWriter(IBufferWriter<byte> output, bool firstObjectAsArray = false, bool objectsAsArrays = false)
    {
        _w = new MessagePackWriter(output);
        _nextObjectAsArray = firstObjectAsArray;
        _objectsAsArrays = objectsAsArrays;
    }

    // A request's params, by position, followed by the trace context as one more element (docs/observability.md):
    // readers skip positional values past the ones they know, so a peer that does not look for it is not disturbed.
    internal MessagePackWireWriter(IBufferWriter<byte> output, bool objectsAsArrays, Diagnostics.RpcTraceContext trace)
        : this(output, firstObjectAsArray: true, objectsAsArrays)
    {
        _trace = trace;
        _traceDepth = trace.IsEmpty ? -1 : 1;
    }

    /// <summary>The library writer underneath, for what is not a contract value (the MessagePack-RPC envelope around it).</summary>
    [UnscopedRef]
    public ref MessagePackWriter Writer => ref _w;

    /// <summary>Commits what was written to the output.</summary>
    public void Flush() => _w.Flush();

    /// <inheritdoc />
    public void WriteNull() => _w.WriteNil();
    /// <inheritdoc />
    public void WriteBoolean(bool value) => _w.Write(value);
    /// <inheritdoc />
    public void WriteInt64(long value) => _w.Write(value);
    /// <inheritdoc />
    public void WriteUInt64(ulong value) => _w.Write(value);
    /// <inheritdoc />
    public void WriteSingle(float value) => _w.Write(value);
    /// <inheritdoc />
    public void WriteDouble(double value) => _w.Write(value);
    /// <inheritdoc />
    public void WriteDecimal(decimal value) => _w.Write(value.ToString(CultureInfo.InvariantCulture));
    /// <inheritdoc />
    public void WriteString(string value) => _w.Write(value);
    /// <inheritdoc />
    public void WriteBytes(ReadOnlySpan<byte> value) => _w.Write(value);
    /// <inheritdoc />
    public void WriteGuid(Guid value)
    {
        // 36 ASCII characters, formatted straight into the output's buffer: no string.
        const int Length = 36;
        _w.WriteStringHeader(Length);
        value.TryFormat(_w.GetSpan(Length), out _, "D");
        _w.Advance(Length);
    }

    /// <inheritdoc />
    /// <remarks>A <see cref="DateTimeKind.Local"/> value is converted to UTC; an unspecified one is taken as UTC.</remarks>
    public void WriteDateTime(DateTime value) => _w.Write(value);
    /// <inheritdoc />
    public void WriteDateTimeOffset(DateTimeOffset value) => _w.Write(value.UtcDateTime);
    /// <inheritdoc />
    public void WriteTimeSpan(TimeSpan value) => _w.Write(value.ToString("c", CultureInfo.InvariantCulture));
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
            _w.WriteArrayHeader(members.Count + (_depth == _traceDepth ? 1 : 0));
        }
        else
        {
            _arrayObjects &= ~(1UL << _depth);
            _w.WriteMapHeader(members.Count);
        }
    }

    /// <inheritdoc />
    /// <remarks>Always a map, in either layout: the discriminator needs its name (<c>"$type"</c>).</remarks>
    public void WriteStartVariant(WireMembers variants, int index, WireMembers members)
    {
        _depth++;
        _arrayObjects &= ~(1UL << _depth);
        bool named = variants.Names[index].Length > 0;
        _w.WriteMapHeader(members.Count + (named ? 1 : 0));
        if (named)
        {
            _w.WriteString(s_typeMember);
            _w.WriteString(variants.Utf8Names[index]);
        }
    }

    /// <inheritdoc />
    public void WriteEndVariant() => WriteEndObject();

    private static readonly byte[] s_typeMember = "$type"u8.ToArray();

    /// <inheritdoc />
    public void WriteMember(WireMembers members, int index)
    {
        if ((_arrayObjects & (1UL << _depth)) == 0) _w.WriteString(members.Utf8Names[index]);
    }

    /// <inheritdoc />
    public void WriteEndObject()
    {
        if (_depth == _traceDepth)
        {
            _w.WriteMapHeader(1);
            _w.Write(Diagnostics.RpcTraceContext.MetaMember);
            bool state = _trace.TraceState is { Length: > 0 };
            _w.WriteMapHeader(state ? 2 : 1);
            _w.Write("traceparent");
            _w.Write(_trace.TraceParent);
            if (state)
            {
                _w.Write("tracestate");
                _w.Write(_trace.TraceState);
            }
            _traceDepth = -1;
        }
        _depth--;
    }
    /// <inheritdoc />
    public void WriteStartMap(int count) => _w.WriteMapHeader(count);
    /// <inheritdoc />
    public void WriteKey(string key) => _w.Write(key);
    /// <inheritdoc />
    public void WriteIntegerKey(long key) => _w.Write(key);
    /// <inheritdoc />
    public void WriteUnsignedKey(ulong key) => _w.Write(key);
    /// <inheritdoc />
    public void WriteEndMap() { }
}
