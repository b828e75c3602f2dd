using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using SidecarKit.Wire;

namespace SidecarKit.Transports.MessagePack;

/// <summary>
/// <see cref="IWireReader"/> over MessagePack, reading what <see cref="MessagePackWireWriter"/> writes. An object may
/// also come as an array (its members by position: the compact layout). Containers are counted, so the reader keeps
/// the items left at each level (up to <see cref="MaxDepth"/> levels).
/// </summary>
public ref struct MessagePackWireReader : IWireReader
{
    /// <summary>The deepest nesting this reader tracks.</summary>
    public const int MaxDepth = 64;

    private MessagePackReader _r;
    private Levels _left;      // items (or entries) still to read at each open container
    private ulong _isArray;    // bit per level: 1 when an object came as an array
    private int _depth;

    [InlineArray(MaxDepth + 1)]
    private struct Levels { private int _e; }

    /// <summary>Reads one value from <paramref name="input"/>.</summary>
    public MessagePackWireReader(ReadOnlySequence<byte> input) => _r = new MessagePackReader(input);

    /// <inheritdoc />
    public readonly WireTokenKind TokenKind
    {
        get
        {
            if (_r.End) return WireTokenKind.None;
            return _r.NextType switch
            {
                MessagePackType.Nil => WireTokenKind.Null,
                MessagePackType.Boolean => WireTokenKind.Boolean,
                MessagePackType.Integer or MessagePackType.Float => WireTokenKind.Number,
                MessagePackType.String => WireTokenKind.String,
                MessagePackType.Binary => WireTokenKind.Bytes,
                MessagePackType.Array => WireTokenKind.Array,
                MessagePackType.Map => WireTokenKind.Object,
                _ => WireTokenKind.Extension,
            };
        }
    }

    /// <inheritdoc />
    public bool TryReadNull() => !_r.End && _r.TryReadNil();
    /// <inheritdoc />
    public bool ReadBoolean() => _r.ReadBoolean();
    /// <inheritdoc />
    public long ReadInt64() => _r.ReadInt64();
    /// <inheritdoc />
    public ulong ReadUInt64() => _r.ReadUInt64();
    /// <inheritdoc />
    public float ReadSingle() => _r.ReadSingle();
    /// <inheritdoc />
    public double ReadDouble() => _r.ReadDouble();

    /// <inheritdoc />
    public decimal ReadDecimal()
    {
        if (_r.NextType == MessagePackType.String)
        {
            string s = _r.ReadString();
            return decimal.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out decimal d) ? d : throw new WireFormatException($"'{s}' is not a decimal number.");
        }
        if (_r.NextType == MessagePackType.Integer) return _r.ReadInt64();
        double v = _r.ReadDouble();
        try { return (decimal)v; }
        catch (OverflowException) { throw WireFormatException.OutOfRange("Decimal", v.ToString(CultureInfo.InvariantCulture)); }
    }

    /// <inheritdoc />
    public string ReadString() => _r.ReadString();
    /// <inheritdoc />
    public byte[] ReadBytes() => _r.ReadBinary();

    /// <inheritdoc />
    public Guid ReadGuid()
    {
        string s = _r.ReadString();
        return Guid.TryParse(s, out Guid g) ? g : throw new WireFormatException($"'{s}' is not a GUID.");
    }

    /// <inheritdoc />
    public DateTime ReadDateTime() => _r.ReadDateTimeOffset().UtcDateTime;
    /// <inheritdoc />
    public DateTimeOffset ReadDateTimeOffset() => _r.ReadDateTimeOffset();

    /// <inheritdoc />
    public TimeSpan ReadTimeSpan()
    {
        string s = _r.ReadString();
        return TimeSpan.TryParseExact(s, "c", CultureInfo.InvariantCulture, out TimeSpan t) ? t : throw new WireFormatException($"'{s}' is not a duration ([-][d.]hh:mm:ss[.fffffff]).");
    }

    private void Push(int count, bool isArray)
    {
        if (_depth >= MaxDepth) throw new WireFormatException($"nesting deeper than {MaxDepth} levels.");
        _depth++;
        _left[_depth] = count;
        if (isArray) _isArray |= 1UL << _depth; else _isArray &= ~(1UL << _depth);
    }

    private bool Next()
    {
        if (_left[_depth] == 0)
        {
            _depth--;
            return false;
        }
        _left[_depth]--;
        return true;
    }

    /// <inheritdoc />
    public void ReadStartArray() => Push(_r.ReadArrayHeader(), isArray: true);

    /// <inheritdoc />
    public bool ReadNextItem() => Next();

    /// <inheritdoc />
    public void ReadStartObject()
    {
        if (_r.NextType == MessagePackType.Array) Push(_r.ReadArrayHeader(), isArray: true);
        else Push(_r.ReadMapHeader(), isArray: false);
    }

    /// <inheritdoc />
    public bool ReadNextMember(WireMembers members, ref int index)
    {
        if (!Next()) return false;
        if ((_isArray & (1UL << _depth)) != 0)
        {
            if (++index >= members.Count) throw WireFormatException.TooManyMembers(members);
            return true;
        }
        if (_r.NextType != MessagePackType.String)
        {
            // A key that is not a string cannot name a member: skip the key, and the caller skips the value.
            _r.Skip();
            index = -1;
            return true;
        }
        ReadOnlySequence<byte> key = _r.ReadStringBytes();
        index = key.IsSingleSegment ? members.IndexOf(key.FirstSpan) : members.IndexOf(key.ToArray());
        return true;
    }

    /// <inheritdoc />
    public void ReadStartMap() => Push(_r.ReadMapHeader(), isArray: false);

    /// <inheritdoc />
    public bool ReadNextKey(out string key)
    {
        if (!Next())
        {
            key = "";
            return false;
        }
        key = _r.ReadString();
        return true;
    }

    /// <inheritdoc />
    public void Skip() => _r.Skip();
}
