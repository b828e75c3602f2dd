using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using SidecarKit.Wire;

namespace SidecarKit.Transports.Grpc.Protobuf;

/// <summary>
/// Writes one Protocol Buffers message from the calls a generated codec makes, laid out by the member tables' wire
/// types and field numbers. Nested messages are written in place with a one-byte length that is widened when the
/// message turns out longer (the codecs stream values without knowing sizes up front). Reused: <see cref="Reset"/>.
/// </summary>
/// <remarks>
/// Google.Protobuf's <c>WriteContext</c> needs every nested message's size before its bytes, which its generated
/// messages compute in a first pass; a generic codec has no such pass, so the bytes are written here, to the same
/// encoding, and checked against Google.Protobuf, Python's <c>protobuf</c> and protobuf.js in the tests.
/// </remarks>
internal sealed class ProtobufEncoder
{
    private enum FrameKind : byte { Message, Repeated, Map, Wrapper }

    private enum Mode : byte { None, Member, Item, Packed, Inner }

    private struct Frame
    {
        public FrameKind Kind;
        public int LengthAt;          // position of the length placeholder, -1 for the root message
        public MessageSchema? Schema;  // Message
        public ProtoField? Field;     // Repeated, Map: the field; its Element is the item / value layout
        public bool Packed;
        public int EntryAt;           // Map: the open entry's length placeholder, -1 if none
    }

    private static readonly UTF8Encoding s_utf8 = new(false, true);

    private byte[] _buffer;
    private int _pos;
    private readonly int _start;
    private Frame[] _frames = new Frame[8];
    private int _depth;

    // Where the next value goes.
    private ProtoField? _target;
    private int _number;
    private Mode _mode;

    /// <param name="reserve">Bytes left free at the start (the gRPC message prefix).</param>
    /// <param name="initialSize">The first buffer's size.</param>
    public ProtobufEncoder(int reserve = 0, int initialSize = 256)
    {
        _start = reserve;
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(initialSize, reserve + 16));
        _pos = reserve;
    }

    /// <summary>The buffer, whose first <c>reserve</c> bytes are free and the message follows up to <see cref="Length"/>.</summary>
    public byte[] Buffer => _buffer;

    /// <summary>The end of the written bytes in <see cref="Buffer"/> (the reserve included).</summary>
    public int Length => _pos;

    /// <summary>The message's size.</summary>
    public int MessageLength => _pos - _start;

    public void Reset()
    {
        _pos = _start;
        _depth = 0;
        _target = null;
        _mode = Mode.None;
        if (_buffer.Length > 1 << 20)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(256);
        }
    }

    /// <summary>Writes <paramref name="value"/> as field 1 of a response message (<c>result</c> or <c>item</c>).</summary>
    public void WriteResult<T, TCodec>(WireMembers response, T value) where TCodec : IWireCodec<T>
    {
        var writer = new ProtobufWriter(this);
        writer.WriteStartObject(response);
        writer.WriteMember(response, 0);
        TCodec.Write(ref writer, value);
        writer.WriteEndObject();
    }

    public void WriteArgs<TArgs>(in TArgs args) where TArgs : struct, IWireArgs<TArgs>
    {
        var writer = new ProtobufWriter(this);
        args.Write(ref writer);
    }

    // ---- values -------------------------------------------------------------------------------------------------

    public void WriteNull()
    {
        if (_target is { Kind: ProtoKind.OptionalWrapper or ProtoKind.ListWrapper or ProtoKind.MapWrapper })
        {
            // A null element keeps its place: an empty wrapper (OptionalX without its value; an empty list or map).
            WriteTag(_number, ProtoWire.Len);
            WriteByte(0);
        }
        else if (_mode is Mode.Item or Mode.Packed)
        {
            throw new WireFormatException("Protocol Buffers cannot carry a null element in a list of non-nullable values.");
        }
        // A null member is left out: absence is null for fields with presence, and empty for lists and maps.
        Done();
    }

    public void WriteBoolean(bool value)
    {
        if (Begin(value))
        {
            if (_mode != Mode.Packed) WriteTag(_number, ProtoWire.Varint);
            WriteByte(value ? (byte)1 : (byte)0);
        }
        Done();
    }

    public void WriteInt64(long value) => WriteInteger((ulong)value, value != 0, signed: true);

    public void WriteUInt64(ulong value) => WriteInteger(value, value != 0, signed: false);

    private void WriteInteger(ulong value, bool nonZero, bool signed)
    {
        // An enum value without a name: the field is a string in the .proto, so it goes as its decimal digits (the
        // generated enum codecs read those back).
        if (_target?.Kind == ProtoKind.Named)
        {
            WriteString(signed ? ((long)value).ToString(CultureInfo.InvariantCulture) : value.ToString(CultureInfo.InvariantCulture));
            return;
        }
        if (Begin(nonZero))
        {
            if (_mode != Mode.Packed) WriteTag(_number, ProtoWire.Varint);
            WriteVarint(value);
        }
        Done();
    }

    public void WriteSingle(float value)
    {
        if (Begin(BitConverter.SingleToInt32Bits(value) != 0))
        {
            if (_mode != Mode.Packed) WriteTag(_number, ProtoWire.Fixed32);
            Ensure(4);
            BinaryPrimitives.WriteSingleLittleEndian(_buffer.AsSpan(_pos), value);
            _pos += 4;
        }
        Done();
    }

    public void WriteDouble(double value)
    {
        if (_target?.Kind == ProtoKind.Float)
        {
            WriteSingle((float)value);
            return;
        }
        if (Begin(BitConverter.DoubleToInt64Bits(value) != 0))
        {
            if (_mode != Mode.Packed) WriteTag(_number, ProtoWire.Fixed64);
            Ensure(8);
            BinaryPrimitives.WriteDoubleLittleEndian(_buffer.AsSpan(_pos), value);
            _pos += 8;
        }
        Done();
    }

    public void WriteDecimal(decimal value) => WriteString(value.ToString(CultureInfo.InvariantCulture));

    public void WriteGuid(Guid value)
    {
        Span<char> text = stackalloc char[36];
        value.TryFormat(text, out _, "D");
        WriteString(text);
    }

    public void WriteString(string value) => WriteString(value.AsSpan());

    private void WriteString(ReadOnlySpan<char> value)
    {
        if (Begin(value.Length != 0))
        {
            int size;
            try { size = s_utf8.GetByteCount(value); }
            catch (EncoderFallbackException e) { throw new WireFormatException("a string is not valid UTF-16 (a lone surrogate), so it has no UTF-8 form: " + e.Message); }
            WriteTag(_number, ProtoWire.Len);
            WriteVarint((ulong)size);
            Ensure(size);
            _pos += s_utf8.GetBytes(value, _buffer.AsSpan(_pos));
        }
        Done();
    }

    public void WriteBytes(ReadOnlySpan<byte> value)
    {
        if (Begin(value.Length != 0))
        {
            WriteTag(_number, ProtoWire.Len);
            WriteVarint((ulong)value.Length);
            Ensure(value.Length);
            value.CopyTo(_buffer.AsSpan(_pos));
            _pos += value.Length;
        }
        Done();
    }

    public void WriteDateTime(DateTime value)
    {
        DateTime utc = value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : value;
        WriteSecondsAndNanos(utc.Ticks - DateTime.UnixEpoch.Ticks);
    }

    public void WriteDateTimeOffset(DateTimeOffset value) => WriteSecondsAndNanos(value.UtcTicks - DateTime.UnixEpoch.Ticks);

    public void WriteTimeSpan(TimeSpan value) => WriteSecondsAndNanos(value.Ticks);

    // google.protobuf.Timestamp (since the Unix epoch, nanos always 0..999,999,999) and Duration (nanos has the
    // seconds' sign) share { int64 seconds = 1; int32 nanos = 2; }.
    private void WriteSecondsAndNanos(long ticks)
    {
        Begin(true);   // first: a wrapper (OptionalDuration) is opened here, and only then is the target the Duration itself
        bool timestamp = _target!.Kind != ProtoKind.Duration;
        long seconds = ticks / TimeSpan.TicksPerSecond;
        long nanos = ticks % TimeSpan.TicksPerSecond * 100;
        if (timestamp && nanos < 0)
        {
            seconds--;
            nanos += 1_000_000_000;
        }
        if (!timestamp && seconds is < -315_576_000_000 or > 315_576_000_000)
            throw new WireFormatException($"a TimeSpan of {seconds} s is outside google.protobuf.Duration's range (±10,000 years).");
        int size = (seconds != 0 ? 1 + ProtoWire.VarintSize((ulong)seconds) : 0) + (nanos != 0 ? 1 + ProtoWire.VarintSize((ulong)nanos) : 0);
        WriteTag(_number, ProtoWire.Len);
        WriteVarint((ulong)size);
        if (seconds != 0) { WriteByte(0x08); WriteVarint((ulong)seconds); }
        if (nanos != 0) { WriteByte(0x10); WriteVarint((ulong)nanos); }
        Done();
    }

    // ---- containers ---------------------------------------------------------------------------------------------

    public void WriteStartArray(int count)
    {
        Begin(true);
        if (_target is not { Kind: ProtoKind.Repeated } field)
            throw Mismatch("a list");
        ref Frame frame = ref Push(FrameKind.Repeated);
        frame.Field = field;
        frame.Packed = field.Element!.IsPackable && count > 0;
        if (frame.Packed)
        {
            WriteTag(field.Number, ProtoWire.Len);
            frame.LengthAt = ReserveLength();
        }
        ItemTarget(ref frame);
    }

    public void WriteEndArray()
    {
        Frame frame = Pop(FrameKind.Repeated);
        if (frame.Packed) PatchLength(frame.LengthAt);
        Done();
    }

    public void WriteStartObject(WireMembers members)
    {
        MessageSchema schema = MessageSchema.For(members);
        if (_depth == 0 && _mode == Mode.None)
        {
            ref Frame root = ref Push(FrameKind.Message);
            root.Schema = schema;
            return;
        }
        Begin(true);
        WriteTag(_number, ProtoWire.Len);
        int lengthAt = ReserveLength();
        ref Frame frame = ref Push(FrameKind.Message);
        frame.Schema = schema;
        frame.LengthAt = lengthAt;
        _target = null;
        _mode = Mode.None;
    }

    public void WriteMember(WireMembers members, int index)
    {
        ref Frame frame = ref _frames[_depth - 1];
        _target = frame.Schema!.Fields[index];
        _number = _target.Number;
        _mode = Mode.Member;
    }

    public void WriteEndObject()
    {
        Frame frame = Pop(FrameKind.Message);
        if (frame.LengthAt >= 0) PatchLength(frame.LengthAt);
        Done();
    }

    // A polymorphic value: the base's message, its oneof case's field set to the case's message.
    public void WriteStartVariant(WireMembers variants, int index, WireMembers members)
    {
        WriteStartObject(variants);
        WriteMember(variants, index);
        WriteStartObject(members);
    }

    public void WriteEndVariant()
    {
        WriteEndObject();
        WriteEndObject();
    }

    public void WriteStartMap(int count)
    {
        Begin(true);
        if (_target is not { Kind: ProtoKind.Map } field)
            throw Mismatch("a map");
        ref Frame frame = ref Push(FrameKind.Map);
        frame.Field = field;
        frame.EntryAt = -1;
        _target = null;
        _mode = Mode.None;
    }

    public void WriteKey(string key)
    {
        ref Frame frame = ref StartEntry();
        int size = s_utf8.GetByteCount(key);
        WriteByte(0x0A);
        WriteVarint((ulong)size);
        Ensure(size);
        _pos += s_utf8.GetBytes(key, _buffer.AsSpan(_pos));
        EntryValue(ref frame);
    }

    // Integer keys (map<int32|int64|uint32|uint64, V>): a varint key = 1, sign-extended for negatives as int32/int64 are.
    public void WriteIntegerKey(long key) => WriteUnsignedKey((ulong)key);

    public void WriteUnsignedKey(ulong key)
    {
        ref Frame frame = ref StartEntry();
        if (key != 0) { WriteByte(0x08); WriteVarint(key); }   // proto3 leaves a zero key out, as protoc's writers do
        EntryValue(ref frame);
    }

    // Entry { K key = 1; V value = 2; }: the previous entry's length patched, this one's reserved.
    private ref Frame StartEntry()
    {
        ref Frame frame = ref _frames[_depth - 1];
        if (frame.EntryAt >= 0) PatchLength(frame.EntryAt);
        WriteTag(frame.Field!.Number, ProtoWire.Len);
        frame.EntryAt = ReserveLength();
        return ref frame;
    }

    private void EntryValue(ref Frame frame)
    {
        _target = frame.Field!.Element;
        _number = 2;
        _mode = Mode.Inner;
    }

    public void WriteEndMap()
    {
        Frame frame = Pop(FrameKind.Map);
        if (frame.EntryAt >= 0) PatchLength(frame.EntryAt);
        Done();
    }

    // ---- the machinery ------------------------------------------------------------------------------------------

    // Opens the wrappers a value needs and says whether to write it: proto3 leaves a member's default out.
    private bool Begin(bool nonDefault)
    {
        while (_target is { Kind: ProtoKind.OptionalWrapper or ProtoKind.ListWrapper or ProtoKind.MapWrapper } wrapper && _mode != Mode.Packed)
        {
            WriteTag(_number, ProtoWire.Len);
            ref Frame frame = ref Push(FrameKind.Wrapper);
            frame.LengthAt = ReserveLength();
            _target = wrapper.Element;
            _number = 1;
            _mode = Mode.Inner;
        }
        if (_target is null) throw new WireFormatException("a value was written where the Protocol Buffers layout has no field.");
        return nonDefault || _mode != Mode.Member || _target.HasPresence;
    }

    // After a whole value: closes the wrappers opened for it and aims at the next item of an enclosing list.
    private void Done()
    {
        while (_depth > 0 && _frames[_depth - 1].Kind == FrameKind.Wrapper)
            PatchLength(Pop(FrameKind.Wrapper).LengthAt);
        if (_depth > 0 && _frames[_depth - 1].Kind == FrameKind.Repeated)
        {
            ItemTarget(ref _frames[_depth - 1]);
        }
        else
        {
            _target = null;
            _mode = Mode.None;
        }
    }

    private void ItemTarget(ref Frame frame)
    {
        _target = frame.Field!.Element;
        _number = frame.Field.Number;
        _mode = frame.Packed ? Mode.Packed : Mode.Item;
    }

    private ref Frame Push(FrameKind kind)
    {
        if (_depth == ProtoWire.MaxDepth) throw new WireFormatException($"the value nests deeper than {ProtoWire.MaxDepth} levels.");
        if (_depth == _frames.Length) Array.Resize(ref _frames, _frames.Length * 2);
        ref Frame frame = ref _frames[_depth++];
        frame = default;
        frame.Kind = kind;
        frame.LengthAt = -1;
        return ref frame;
    }

    private Frame Pop(FrameKind kind)
    {
        if (_depth == 0 || _frames[_depth - 1].Kind != kind) throw new InvalidOperationException($"Unbalanced protobuf writer calls: no open {kind}.");
        return _frames[--_depth];
    }

    private WireFormatException Mismatch(string what)
        => new($"{what} was written for a field whose Protocol Buffers layout is {_target?.Kind.ToString() ?? "nothing"}.");

    private int ReserveLength()
    {
        Ensure(1);
        return _pos++;
    }

    // The length was reserved as one byte; a longer message moves its bytes to make room for a wider varint.
    private void PatchLength(int at)
    {
        int length = _pos - at - 1;
        int size = ProtoWire.VarintSize((ulong)length);
        if (size > 1)
        {
            Ensure(size - 1);
            Array.Copy(_buffer, at + 1, _buffer, at + size, length);
            _pos += size - 1;
        }
        ProtoWire.WriteVarint(_buffer.AsSpan(at), (ulong)length);
    }

    private void WriteTag(int number, int wireType) => WriteVarint(((ulong)(uint)number << 3) | (uint)wireType);

    private void WriteVarint(ulong value)
    {
        Ensure(10);
        _pos += ProtoWire.WriteVarint(_buffer.AsSpan(_pos), value);
    }

    private void WriteByte(byte value)
    {
        Ensure(1);
        _buffer[_pos++] = value;
    }

    private void Ensure(int count)
    {
        if (_buffer.Length - _pos >= count) return;
        byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _pos + count));
        _buffer.AsSpan(0, _pos).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }
}

/// <summary>The <see cref="IWireWriter"/> generated codecs write protobuf through: a thin struct over <see cref="ProtobufEncoder"/>.</summary>
internal readonly struct ProtobufWriter(ProtobufEncoder encoder) : IWireWriter
{
    public void WriteNull() => encoder.WriteNull();
    public void WriteBoolean(bool value) => encoder.WriteBoolean(value);
    public void WriteInt64(long value) => encoder.WriteInt64(value);
    public void WriteUInt64(ulong value) => encoder.WriteUInt64(value);
    public void WriteSingle(float value) => encoder.WriteSingle(value);
    public void WriteDouble(double value) => encoder.WriteDouble(value);
    public void WriteDecimal(decimal value) => encoder.WriteDecimal(value);
    public void WriteString(string value) => encoder.WriteString(value);
    public void WriteBytes(ReadOnlySpan<byte> value) => encoder.WriteBytes(value);
    public void WriteGuid(Guid value) => encoder.WriteGuid(value);
    public void WriteDateTime(DateTime value) => encoder.WriteDateTime(value);
    public void WriteDateTimeOffset(DateTimeOffset value) => encoder.WriteDateTimeOffset(value);
    public void WriteTimeSpan(TimeSpan value) => encoder.WriteTimeSpan(value);
    public void WriteStartArray(int count) => encoder.WriteStartArray(count);
    public void WriteEndArray() => encoder.WriteEndArray();
    public void WriteStartObject(WireMembers members) => encoder.WriteStartObject(members);
    public void WriteMember(WireMembers members, int index) => encoder.WriteMember(members, index);
    public void WriteEndObject() => encoder.WriteEndObject();
    public void WriteStartVariant(WireMembers variants, int index, WireMembers members) => encoder.WriteStartVariant(variants, index, members);
    public void WriteEndVariant() => encoder.WriteEndVariant();
    public void WriteStartMap(int count) => encoder.WriteStartMap(count);
    public void WriteKey(string key) => encoder.WriteKey(key);
    public void WriteIntegerKey(long key) => encoder.WriteIntegerKey(key);
    public void WriteUnsignedKey(ulong key) => encoder.WriteUnsignedKey(key);
    public void WriteEndMap() => encoder.WriteEndMap();
}
