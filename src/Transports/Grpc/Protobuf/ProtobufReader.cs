using System.Globalization;
using System.Text;
using SidecarKit.Wire;

namespace SidecarKit.Transports.Grpc.Protobuf;

/// <summary>
/// Reads one Protocol Buffers message for the calls a generated codec makes, laid out by the member tables' wire
/// types and field numbers. Fields may come in any order; packed and unpacked repeated scalars are both accepted.
/// Members proto3 leaves out (zero, empty string, empty list) are presented as their defaults once the message's own
/// fields are read, so the codecs' required-member checks see them; fields with presence stay absent (null).
/// </summary>
/// <remarks>
/// A repeated field's or map's occurrences may be interleaved with other fields, as protobuf allows: the codec reads
/// all of them when it reaches the first, and the message skips the later ones when it reaches them.
/// </remarks>
internal ref struct ProtobufReader : IWireReader
{
    private enum Current : byte { None, Root, Absent, Null, Varint, Fixed32, Fixed64, Len }

    private enum FrameKind : byte { Message, Repeated, Map }

    private struct Frame
    {
        public FrameKind Kind;
        public int Cursor;
        public int End;
        public MessageSchema? Schema;   // Message
        public ulong Seen;              // Message: members 0..63 seen
        public bool[]? SeenMore;        // Message: members 64.. seen
        public int NextDefault;         // Message: the next member to consider for a default
        public int Number;              // Repeated, Map: the field number of the run
        public ProtoField? Element;     // Repeated, Map: the item / value layout
        public bool FirstPending;       // Repeated, Map: the current value is the run's first occurrence
        public bool WriteBack;          // Repeated, Map: the run is read from the enclosing message's cursor
        public int ResumeAt;            // Repeated, Map: where the first other field came (0: none), for the write-back
        public int PackedPos, PackedEnd;
    }

    private static readonly UTF8Encoding s_utf8 = new(false, true);

    // Readers on one thread never overlap (a codec reads one message to its end), so they share one frame stack.
    [ThreadStatic] private static Frame[]? t_frames;

    private readonly ReadOnlySpan<byte> _data;
    private Frame[] _frames;
    private int _depth;

    private Current _current;
    private ProtoField? _shape;     // the layout of the current value; null for a field the schema does not know
    private ulong _scalar;          // Varint / Fixed32 / Fixed64
    private int _start, _end;       // Len: the payload; Root: the whole message
    private int _field;             // the current field's number, for error messages

    public ProtobufReader(ReadOnlySpan<byte> message)
    {
        _data = message;
        _frames = t_frames ??= new Frame[8];
        _current = Current.Root;
        _start = 0;
        _end = message.Length;
    }

    /// <summary>Reads field 1 of a response message (<c>result</c> or <c>item</c>) with <typeparamref name="TCodec"/>.</summary>
    public static T ReadResult<T, TCodec>(ReadOnlySpan<byte> message, WireMembers response) where TCodec : IWireCodec<T>
    {
        var reader = new ProtobufReader(message);
        reader.ReadStartObject();
        int index = -1;
        bool found = false;
        T result = default!;
        // To the end of the message: a field that occurs twice takes its last value, as protobuf says.
        while (reader.ReadNextMember(response, ref index))
        {
            if (index == 0)
            {
                result = TCodec.Read(ref reader);
                found = true;
            }
            else
            {
                reader.Skip();
            }
        }
        if (found) return result;
        // Absent with presence: null, which a value type cannot take (it must not silently become 0 or false).
        return default(T) is null ? default! : throw new WireFormatException($"'{response.TypeName}' has no {response.Names[0]}, and {typeof(T).Name} cannot be null.");
    }

    public static TArgs ReadArgs<TArgs>(ReadOnlySpan<byte> message) where TArgs : struct, IWireArgs<TArgs>
    {
        var reader = new ProtobufReader(message);
        return TArgs.Read(ref reader);
    }

    public readonly WireTokenKind TokenKind => _current switch
    {
        Current.None => WireTokenKind.None,
        Current.Null => WireTokenKind.Null,
        Current.Root => WireTokenKind.Object,
        Current.Fixed32 or Current.Fixed64 => WireTokenKind.Number,
        Current.Varint => _shape?.Kind == ProtoKind.Bool ? WireTokenKind.Boolean : WireTokenKind.Number,
        _ => _shape?.Kind switch
        {
            ProtoKind.Bool => WireTokenKind.Boolean,
            ProtoKind.Int or ProtoKind.UInt or ProtoKind.Float or ProtoKind.Double => WireTokenKind.Number,
            ProtoKind.String => WireTokenKind.String,
            ProtoKind.Repeated or ProtoKind.ListWrapper => WireTokenKind.Array,
            ProtoKind.Named or ProtoKind.Map or ProtoKind.MapWrapper or ProtoKind.Timestamp or ProtoKind.Duration => WireTokenKind.Object,
            _ => WireTokenKind.Bytes,
        },
    };

    public bool TryReadNull()
    {
        switch (_current)
        {
            case Current.Null or Current.None:
                _current = Current.None;
                return true;
            case Current.Len when _shape?.Kind == ProtoKind.OptionalWrapper:
                // OptionalX { optional X value = 1; }: null when the value is absent.
                ProtoField inner = _shape.Element!;
                if (!FindField(_start, _end, 1))
                {
                    _current = Current.None;
                    return true;
                }
                _shape = inner;
                return false;
            default:
                return false;
        }
    }

    public bool ReadBoolean() => _current switch
    {
        Current.Varint => _scalar != 0,
        Current.Absent => false,
        _ => throw Expected("a bool (varint)"),
    };

    // proto3 parses a value that does not fit an int32/uint32 field as C++ would cast it: truncated to 32 bits (a
    // negative int32 written in five bytes, for example). Narrower C# types then check their own range.
    public long ReadInt64() => _current switch
    {
        Current.Varint when _shape is { Kind: ProtoKind.Int, Is64: false } => (int)(uint)_scalar,
        Current.Varint or Current.Fixed64 => (long)_scalar,
        Current.Fixed32 => (int)(uint)_scalar,
        Current.Absent => 0,
        _ => throw Expected("an integer (varint)"),
    };

    public ulong ReadUInt64() => _current switch
    {
        Current.Varint when _shape is { Kind: ProtoKind.UInt, Is64: false } => (uint)_scalar,
        Current.Varint or Current.Fixed64 or Current.Fixed32 => _scalar,
        Current.Absent => 0,
        _ => throw Expected("an unsigned integer (varint)"),
    };

    public float ReadSingle() => _current switch
    {
        Current.Fixed32 => BitConverter.Int32BitsToSingle((int)(uint)_scalar),
        Current.Fixed64 => (float)BitConverter.Int64BitsToDouble((long)_scalar),
        Current.Absent => 0,
        _ => throw Expected("a float (fixed32)"),
    };

    public double ReadDouble() => _current switch
    {
        Current.Fixed64 => BitConverter.Int64BitsToDouble((long)_scalar),
        Current.Fixed32 => BitConverter.Int32BitsToSingle((int)(uint)_scalar),
        Current.Absent => 0,
        _ => throw Expected("a double (fixed64)"),
    };

    public decimal ReadDecimal()
    {
        if (_current == Current.Absent) return 0;
        string text = ReadString();
        return decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out decimal value)
            ? value
            : throw new WireFormatException($"field {_field}: '{text}' is not a decimal number.");
    }

    public string ReadString()
    {
        if (_current == Current.Absent) return "";
        if (_current != Current.Len) throw Expected("a string (length-delimited)");
        try
        {
            return s_utf8.GetString(_data[_start.._end]);
        }
        catch (DecoderFallbackException)
        {
            throw new WireFormatException($"field {_field}: the string is not valid UTF-8.");
        }
    }

    public byte[] ReadBytes()
    {
        if (_current == Current.Absent) return [];
        if (_current != Current.Len) throw Expected("bytes (length-delimited)");
        // Not zeroed first: every byte is copied over at once.
        byte[] bytes = SidecarKit.Rpc.ByteStreams.NewBytes(_end - _start);
        _data[_start.._end].CopyTo(bytes);
        return bytes;
    }

    public Guid ReadGuid()
    {
        if (_current == Current.Absent) return Guid.Empty;
        string text = ReadString();
        return Guid.TryParse(text, out Guid value) ? value : throw new WireFormatException($"field {_field}: '{text}' is not a GUID.");
    }

    public DateTime ReadDateTime() => new(DateTime.UnixEpoch.Ticks + ReadTimestampTicks(), DateTimeKind.Utc);

    public DateTimeOffset ReadDateTimeOffset() => new(DateTime.UnixEpoch.Ticks + ReadTimestampTicks(), TimeSpan.Zero);

    public TimeSpan ReadTimeSpan()
    {
        (long seconds, long nanos) = ReadSecondsAndNanos();
        // google.protobuf.Duration: ±315,576,000,000 s, nanos with the seconds' sign.
        if (seconds is < -315_576_000_000 or > 315_576_000_000 || nanos is < -999_999_999 or > 999_999_999 || (seconds > 0 && nanos < 0) || (seconds < 0 && nanos > 0))
            throw new WireFormatException($"field {_field}: not a valid google.protobuf.Duration ({seconds} s, {nanos} ns).");
        try
        {
            return new TimeSpan(checked(seconds * TimeSpan.TicksPerSecond + nanos / 100));
        }
        catch (OverflowException)
        {
            throw new WireFormatException($"field {_field}: the duration ({seconds} s) does not fit a TimeSpan.");
        }
    }

    private long ReadTimestampTicks()
    {
        (long seconds, long nanos) = ReadSecondsAndNanos();
        // google.protobuf.Timestamp: 0001-01-01 to 9999-12-31, nanos 0..999,999,999 — exactly DateTime's range.
        if (seconds is < -62_135_596_800 or > 253_402_300_799 || nanos is < 0 or > 999_999_999)
            throw new WireFormatException($"field {_field}: not a valid google.protobuf.Timestamp ({seconds} s, {nanos} ns).");
        return seconds * TimeSpan.TicksPerSecond + nanos / 100;
    }

    private (long Seconds, long Nanos) ReadSecondsAndNanos()
    {
        if (_current == Current.Absent) return (0, 0);
        if (_current != Current.Len) throw Expected("a google.protobuf message (length-delimited)");
        long seconds = 0, nanos = 0;
        int pos = _start;
        while (pos < _end)
        {
            ulong tag = ProtoWire.ReadVarint(_data, ref pos, _end);
            int wireType = (int)(tag & 7);
            if (tag >> 3 == 1 && wireType == ProtoWire.Varint) seconds = (long)ProtoWire.ReadVarint(_data, ref pos, _end);
            else if (tag >> 3 == 2 && wireType == ProtoWire.Varint) nanos = (int)ProtoWire.ReadVarint(_data, ref pos, _end);
            else ProtoWire.SkipField(_data, wireType, ref pos, _end);
        }
        return (seconds, nanos);
    }

    public void ReadStartArray() => StartRun(FrameKind.Repeated, ProtoKind.Repeated, ProtoKind.ListWrapper, "a repeated field");

    // A repeated field or a map is a run of occurrences of one field number: in the enclosing message, read from its
    // cursor (the current value is the first occurrence), or alone inside a wrapper message (Int32List, Int32Map), or
    // absent (empty).
    private void StartRun(FrameKind kind, ProtoKind field, ProtoKind wrapper, string what)
    {
        if (_current == Current.Absent)
        {
            Push(kind).Number = -1;
            return;
        }
        if (_current == Current.Len && _shape?.Kind == wrapper)
        {
            ProtoField inner = _shape.Element!;
            int start = _start, end = _end;
            ref Frame wrapped = ref Push(kind);
            wrapped.Cursor = start;
            wrapped.End = end;
            wrapped.Number = 1;
            wrapped.Element = inner.Element;
            return;
        }
        if (_shape?.Kind != field || _depth == 0) throw Expected(what);
        ProtoField run = _shape;
        ref Frame parent = ref _frames[_depth - 1];
        int cursor = parent.Cursor, parentEnd = parent.End;
        ref Frame frame = ref Push(kind);
        frame.Cursor = cursor;
        frame.End = parentEnd;
        frame.Number = run.Number;
        frame.Element = run.Element;
        frame.FirstPending = true;
        frame.WriteBack = true;
    }

    public bool ReadNextItem()
    {
        ref Frame frame = ref _frames[_depth - 1];
        if (frame.Kind != FrameKind.Repeated) throw new InvalidOperationException("No repeated field is being read.");
        ProtoField? element = frame.Element;
        while (true)
        {
            if (frame.PackedPos < frame.PackedEnd)
            {
                ReadPacked(ref frame, element!);
                return true;
            }
            if (!NextOccurrence(ref frame)) return false;
            if (_current == Current.Len && element!.IsPackable)
            {
                frame.PackedPos = _start;
                frame.PackedEnd = _end;
                continue;
            }
            _shape = element;
            return true;
        }
    }

    private void ReadPacked(ref Frame frame, ProtoField element)
    {
        switch (element.Kind)
        {
            case ProtoKind.Float:
                _scalar = ProtoWire.ReadFixed32(_data, ref frame.PackedPos, frame.PackedEnd);
                _current = Current.Fixed32;
                break;
            case ProtoKind.Double:
                _scalar = ProtoWire.ReadFixed64(_data, ref frame.PackedPos, frame.PackedEnd);
                _current = Current.Fixed64;
                break;
            default:
                _scalar = ProtoWire.ReadVarint(_data, ref frame.PackedPos, frame.PackedEnd);
                _current = Current.Varint;
                break;
        }
        _shape = element;
    }

    public void ReadStartObject()
    {
        int start, end;
        switch (_current)
        {
            case Current.Root or Current.Len:
                start = _start;
                end = _end;
                break;
            case Current.Absent:
                start = end = 0;
                break;
            default:
                throw Expected("a message (length-delimited)");
        }
        ref Frame frame = ref Push(FrameKind.Message);
        frame.Cursor = start;
        frame.End = end;
        _current = Current.None;
    }

    public bool ReadNextMember(WireMembers members, ref int index)
    {
        ref Frame frame = ref _frames[_depth - 1];
        if (frame.Kind != FrameKind.Message) throw new InvalidOperationException("No message is being read.");
        MessageSchema schema = frame.Schema ??= MessageSchema.For(members);
        while (frame.Cursor < frame.End)
        {
            int number = ReadField(ref frame.Cursor, frame.End);
            int i = schema.IndexOf(number);
            if (i >= 0)
            {
                bool again = WasSeen(ref frame, i);
                MarkSeen(ref frame, i, schema.Count);
                ProtoField field = schema.Fields[i];
                // A later occurrence of a repeated field or map: read already, with the first one's run.
                if (again && field.Kind is ProtoKind.Repeated or ProtoKind.Map) continue;
                _shape = field;
            }
            else
            {
                _shape = null;
            }
            index = i;
            return true;
        }
        // The message's own fields are read: now the members proto3 left out, as their defaults.
        while (frame.NextDefault < schema.Count)
        {
            int i = frame.NextDefault++;
            if (WasSeen(ref frame, i) || !schema.Fields[i].DefaultsWhenAbsent) continue;
            _current = Current.Absent;
            _shape = schema.Fields[i];
            _field = _shape.Number;
            index = i;
            return true;
        }
        _depth--;
        _current = Current.None;
        return false;
    }

    // A polymorphic value: the base's message holds only its oneof, one field per case (the tags); the last case present
    // wins, as protobuf says. The reader moves onto that case's message, which the case's codec reads whole; the base's
    // message ends there (the enclosing frame's cursor is already past it).
    public int ReadVariant(WireMembers variants)
    {
        MessageSchema schema = MessageSchema.For(variants);
        int start, end;
        switch (_current)
        {
            case Current.Root or Current.Len:
                start = _start;
                end = _end;
                break;
            case Current.Absent:
                start = end = 0;
                break;
            default:
                throw Expected("a message (length-delimited)");
        }
        int found = -1, unknown = 0, caseStart = 0, caseEnd = 0;
        int pos = start;
        while (pos < end)
        {
            int number = ReadField(ref pos, end);
            int i = schema.IndexOf(number);
            if (i >= 0 && _current == Current.Len)
            {
                found = i;
                caseStart = _start;
                caseEnd = _end;
            }
            else if (unknown == 0)
            {
                unknown = number;
            }
        }
        if (found < 0)
        {
            throw unknown != 0
                ? WireFormatException.UnknownDiscriminator(variants.TypeName, "oneof field " + unknown.ToString(CultureInfo.InvariantCulture))
                : WireFormatException.MissingDiscriminator(variants.TypeName);
        }
        _current = Current.Len;
        _start = caseStart;
        _end = caseEnd;
        _shape = schema.Fields[found];
        _field = _shape.Number;
        return found;
    }

    // Members 0..63 in a bit mask, the rest (rare) in an array made when first needed.
    private static bool WasSeen(ref Frame frame, int member)
        => member < 64 ? (frame.Seen & (1UL << member)) != 0 : frame.SeenMore?[member] == true;

    private static void MarkSeen(ref Frame frame, int member, int count)
    {
        if (member < 64) frame.Seen |= 1UL << member;
        else (frame.SeenMore ??= new bool[count])[member] = true;
    }

    public void ReadStartMap() => StartRun(FrameKind.Map, ProtoKind.Map, ProtoKind.MapWrapper, "a map field");

    public bool ReadNextKey(out string key)
    {
        key = "";
        if (!NextEntry(out Current keyKind, out string? text, out _)) return false;
        if (keyKind == Current.Absent) return true;
        key = text ?? throw new WireFormatException($"field {_field}: expected a map key (string), found a {keyKind} key.");
        return true;
    }

    public bool ReadNextIntegerKey(out long key)
    {
        key = 0;
        if (!NextEntry(out Current keyKind, out string? text, out ulong scalar)) return false;
        if (text is not null)   // digits in a string key: the same map with map<string, V>
            key = long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v) ? v : throw new WireFormatException($"field {_field}: the map key '{text}' is not an integer.");
        else if (keyKind == Current.Varint) key = (long)scalar;   // int32 and int64 keys are sign-extended alike
        else if (keyKind != Current.Absent) throw new WireFormatException($"field {_field}: expected a map key (varint), found a {keyKind} key.");
        return true;
    }

    public bool ReadNextUnsignedKey(out ulong key)
    {
        key = 0;
        if (!NextEntry(out Current keyKind, out string? text, out ulong scalar)) return false;
        if (text is not null)
            key = ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong v) ? v : throw new WireFormatException($"field {_field}: the map key '{text}' is not a non-negative integer.");
        else if (keyKind == Current.Varint) key = scalar;
        else if (keyKind != Current.Absent) throw new WireFormatException($"field {_field}: expected a map key (varint), found a {keyKind} key.");
        return true;
    }

    // Moves to the next entry { K key = 1; V value = 2; } (in any order, either may be absent) and onto its value. The
    // key: a string key's text, or a varint key's value; keyKind is Absent when the entry has none (the type's default).
    private bool NextEntry(out Current keyKind, out string? text, out ulong scalar)
    {
        ref Frame frame = ref _frames[_depth - 1];
        if (frame.Kind != FrameKind.Map) throw new InvalidOperationException("No map is being read.");
        keyKind = Current.Absent;
        text = null;
        scalar = 0;
        if (!NextOccurrence(ref frame)) return false;
        if (_current != Current.Len) throw Expected("a map entry (length-delimited)");
        int pos = _start, end = _end;
        bool hasValue = false;
        Current valueKind = Current.Absent;
        ulong valueScalar = 0;
        int valueStart = 0, valueEnd = 0;
        while (pos < end)
        {
            int number = ReadField(ref pos, end);
            if (number == 1)
            {
                keyKind = _current;
                scalar = _scalar;
                _shape = null;
                text = _current == Current.Len ? ReadString() : null;
            }
            else if (number == 2)
            {
                hasValue = true;
                valueKind = _current;
                valueScalar = _scalar;
                valueStart = _start;
                valueEnd = _end;
            }
        }
        _current = hasValue ? valueKind : Current.Absent;
        _scalar = valueScalar;
        _start = valueStart;
        _end = valueEnd;
        _shape = frame.Element;
        _field = 2;
        if (!hasValue && _shape is { HasPresence: true } or { Kind: ProtoKind.OptionalWrapper }) _current = Current.Null;
        return true;
    }

    public void Skip()
    {
        // Every field was delimited when it was reached, so the cursor is already past it.
        _current = Current.None;
    }

    // The next occurrence of a repeated field's or map's run; at its end the frame closes.
    private bool NextOccurrence(ref Frame frame)
    {
        if (frame.FirstPending)
        {
            frame.FirstPending = false;
            return true;
        }
        // The rest of the message (or wrapper), other fields passed over: protobuf lets occurrences be interleaved.
        while (frame.Number > 0 && frame.Cursor < frame.End)
        {
            int pos = frame.Cursor;
            ulong tag = ProtoWire.ReadVarint(_data, ref pos, frame.End);
            if ((int)(tag >> 3) == frame.Number)
            {
                ReadField(ref frame.Cursor, frame.End);
                return true;
            }
            if (frame.ResumeAt == 0) frame.ResumeAt = frame.Cursor;
            ReadField(ref frame.Cursor, frame.End);
        }
        // The enclosing message goes on from the first other field, which it has not read yet.
        int cursor = frame.ResumeAt != 0 ? frame.ResumeAt : frame.Cursor;
        bool writeBack = frame.WriteBack;
        _depth--;
        if (writeBack) _frames[_depth - 1].Cursor = cursor;
        _current = Current.None;
        return false;
    }

    // Reads the field at pos: its tag, then its value into the current value. Returns its number.
    private int ReadField(ref int pos, int end)
    {
        ulong tag = ProtoWire.ReadVarint(_data, ref pos, end);
        ulong number = tag >> 3;
        if (number is 0 or > 536_870_911) throw new WireFormatException($"a field has the invalid number {number}.");
        _field = (int)number;
        switch ((int)(tag & 7))
        {
            case ProtoWire.Varint:
                _scalar = ProtoWire.ReadVarint(_data, ref pos, end);
                _current = Current.Varint;
                break;
            case ProtoWire.Fixed64:
                _scalar = ProtoWire.ReadFixed64(_data, ref pos, end);
                _current = Current.Fixed64;
                break;
            case ProtoWire.Fixed32:
                _scalar = ProtoWire.ReadFixed32(_data, ref pos, end);
                _current = Current.Fixed32;
                break;
            case ProtoWire.Len:
                ulong length = ProtoWire.ReadVarint(_data, ref pos, end);
                if (length > (ulong)(end - pos)) throw new WireFormatException($"field {number}: its length ({length}) runs past the end of the message.");
                _start = pos;
                _end = pos + (int)length;
                pos = _end;
                _current = Current.Len;
                break;
            default:
                throw new WireFormatException($"field {number} has wire type {tag & 7}, which proto3 does not use (groups are not supported).");
        }
        return (int)number;
    }

    // Whether the message in start..end has field `number`; if so, it becomes the current value.
    private bool FindField(int start, int end, int number)
    {
        int pos = start;
        bool found = false;
        Current kind = default;
        ulong scalar = 0;
        int s = 0, e = 0;
        while (pos < end)
        {
            if (ReadField(ref pos, end) == number)
            {
                found = true;
                kind = _current;
                scalar = _scalar;
                s = _start;
                e = _end;
            }
        }
        if (found)
        {
            _current = kind;
            _scalar = scalar;
            _start = s;
            _end = e;
            _field = number;
        }
        return found;
    }

    private ref Frame Push(FrameKind kind)
    {
        if (_depth == ProtoWire.MaxDepth) throw new WireFormatException($"the message nests deeper than {ProtoWire.MaxDepth} levels.");
        if (_depth == _frames.Length)
        {
            Array.Resize(ref _frames, _frames.Length * 2);
            t_frames = _frames;
        }
        ref Frame frame = ref _frames[_depth++];
        frame = default;
        frame.Kind = kind;
        return ref frame;
    }

    private readonly WireFormatException Expected(string what)
        => new($"field {_field}: expected {what}, found {_current switch
        {
            Current.Varint => "a varint",
            Current.Fixed32 => "a fixed32",
            Current.Fixed64 => "a fixed64",
            Current.Len => "a length-delimited value",
            Current.Null => "nothing (absent)",
            _ => "no value",
        }}.");
}
