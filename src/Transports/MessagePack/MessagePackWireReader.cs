using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using MessagePack;
using SidecarKit.Wire;

namespace SidecarKit.Transports.MessagePack;

/// <summary>
/// <see cref="IWireReader"/> over MessagePack-CSharp's <see cref="MessagePackReader"/>, reading what
/// <see cref="MessagePackWireWriter"/> writes. An object may also come as an array (its members by position: the
/// compact layout). Containers are counted, so the reader keeps the items left at each level (up to
/// <see cref="MaxDepth"/> levels). Whatever the library refuses (wrong type, out of range, truncated) is a <see cref="WireFormatException"/>; strings must be valid UTF-8.
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

    /// <summary>Reads one value from <paramref name="input"/>.</summary>
    public MessagePackWireReader(ReadOnlyMemory<byte> input) => _r = new MessagePackReader(input);

    /// <inheritdoc />
    public WireTokenKind TokenKind
    {
        get
        {
            if (_r.End) return WireTokenKind.None;
            return _r.NextMessagePackType switch
            {
                MessagePackType.Nil => WireTokenKind.Null,
                MessagePackType.Boolean => WireTokenKind.Boolean,
                MessagePackType.Integer or MessagePackType.Float => WireTokenKind.Number,
                MessagePackType.String => WireTokenKind.String,
                MessagePackType.Binary => WireTokenKind.Bytes,
                MessagePackType.Array => WireTokenKind.Array,
                MessagePackType.Map => WireTokenKind.Object,
                MessagePackType.Extension => WireTokenKind.Extension,
                _ => throw new WireFormatException($"0x{_r.NextCode:x2} is not a valid MessagePack format byte."),
            };
        }
    }

    /// <inheritdoc />
    public bool TryReadNull() => !_r.End && _r.TryReadNil();

    /// <inheritdoc />
    public bool ReadBoolean()
    {
        try { return _r.ReadBoolean(); }
        catch (Exception e) when (UntrustedInput.IsMalformed(e)) { throw UntrustedInput.Malformed(e, "a Boolean"); }
    }

    /// <inheritdoc />
    public long ReadInt64()
    {
        try { return _r.ReadInt64(); }
        catch (Exception e) when (UntrustedInput.IsMalformed(e)) { throw UntrustedInput.Malformed(e, "an Int64"); }
    }

    /// <inheritdoc />
    public ulong ReadUInt64()
    {
        try { return _r.ReadUInt64(); }
        catch (Exception e) when (UntrustedInput.IsMalformed(e)) { throw UntrustedInput.Malformed(e, "a UInt64"); }
    }

    /// <inheritdoc />
    public float ReadSingle()
    {
        if (_r.End || _r.NextCode != MessagePackCode.Float64)
        {
            try { return _r.ReadSingle(); }
            catch (Exception e) when (UntrustedInput.IsMalformed(e)) { throw UntrustedInput.Malformed(e, "a number"); }
        }
        // The library narrows a float64 to infinity when it does not fit; a finite value that does not fit is out of range.
        double d = _r.ReadDouble();
        float f = (float)d;
        return float.IsInfinity(f) && !double.IsInfinity(d) ? throw WireFormatException.OutOfRange("Single", d.ToString(CultureInfo.InvariantCulture)) : f;
    }

    /// <inheritdoc />
    public double ReadDouble()
    {
        try { return _r.ReadDouble(); }
        catch (Exception e) when (UntrustedInput.IsMalformed(e)) { throw UntrustedInput.Malformed(e, "a number"); }
    }

    /// <inheritdoc />
    public decimal ReadDecimal()
    {
        MessagePackType type = NextType();
        if (type == MessagePackType.String)
        {
            string s = UntrustedInput.ReadString(ref _r);
            return decimal.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out decimal d) ? d : throw new WireFormatException($"'{s}' is not a decimal number.");
        }
        if (type == MessagePackType.Integer) return _r.NextCode == MessagePackCode.UInt64 ? ReadUInt64() : ReadInt64();
        double v = ReadDouble();
        try { return (decimal)v; }
        catch (OverflowException) { throw WireFormatException.OutOfRange("Decimal", v.ToString(CultureInfo.InvariantCulture)); }
    }

    /// <inheritdoc />
    public string ReadString() => UntrustedInput.ReadString(ref _r);

    /// <inheritdoc />
    public byte[] ReadBytes()
    {
        // The library also reads a str as bytes (the old spec had no bin); the protocol says byte[] is bin.
        if (NextType() != MessagePackType.Binary) throw Expected("a byte string (bin)");
        try
        {
            ReadOnlySequence<byte> bin = _r.ReadBytes()!.Value;
            // Not zeroed first: every byte is copied over at once (a stream's 64 KiB chunks would pay for it twice).
            byte[] bytes = SidecarKit.Rpc.ByteStreams.NewBytes(checked((int)bin.Length));
            bin.CopyTo(bytes);
            return bytes;
        }
        catch (Exception e) when (UntrustedInput.IsMalformed(e)) { throw UntrustedInput.Malformed(e, "a byte string (bin)"); }
    }

    /// <inheritdoc />
    public Guid ReadGuid()
    {
        string s = ReadString();
        return Guid.TryParse(s, out Guid g) ? g : throw new WireFormatException($"'{s}' is not a GUID.");
    }

    /// <inheritdoc />
    public DateTime ReadDateTime()
    {
        if (NextType() != MessagePackType.Extension) throw Expected("a timestamp (extension -1)");
        ExtensionHeader header;
        try { header = _r.ReadExtensionFormatHeader(); }
        catch (Exception e) when (UntrustedInput.IsMalformed(e)) { throw UntrustedInput.Malformed(e, "a timestamp (extension -1)"); }
        if (header.TypeCode != ReservedMessagePackExtensionTypeCode.DateTime)
            throw new WireFormatException($"expected a timestamp (extension -1), found extension {header.TypeCode}.");
        try { return _r.ReadDateTime(header); }
        catch (ArgumentOutOfRangeException e) { throw new WireFormatException("the timestamp is outside the range of DateTime.", e); }
        catch (Exception e) when (UntrustedInput.IsMalformed(e)) { throw UntrustedInput.Malformed(e, "a timestamp of 4, 8 or 12 bytes"); }
    }

    /// <inheritdoc />
    public DateTimeOffset ReadDateTimeOffset() => new(ReadDateTime());

    /// <inheritdoc />
    public TimeSpan ReadTimeSpan()
    {
        string s = ReadString();
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

    private int ReadArrayHeader()
    {
        int count;
        try { count = _r.ReadArrayHeader(); }
        catch (Exception e) when (UntrustedInput.IsMalformed(e)) { throw UntrustedInput.Malformed(e, "an array"); }
        return count >= 0 ? count : throw TooManyItems(count);
    }

    private int ReadMapHeader()
    {
        int count;
        try { count = _r.ReadMapHeader(); }
        catch (Exception e) when (UntrustedInput.IsMalformed(e)) { throw UntrustedInput.Malformed(e, "a map"); }
        return count >= 0 ? count : throw TooManyItems(count);
    }

    // The library returns a 32-bit count as an int: 2^31 or more comes back negative.
    private static WireFormatException TooManyItems(int count) => new($"a count of {(uint)count} items is more than the message holds.");

    /// <inheritdoc />
    public void ReadStartArray() => Push(ReadArrayHeader(), isArray: true);

    /// <inheritdoc />
    public bool ReadNextItem() => Next();

    /// <inheritdoc />
    public void ReadStartObject()
    {
        if (NextType() == MessagePackType.Array) Push(ReadArrayHeader(), isArray: true);
        else Push(ReadMapHeader(), isArray: false);
    }

    /// <inheritdoc />
    public bool ReadNextMember(WireMembers members, ref int index)
    {
        if (!Next()) return false;
        if ((_isArray & (1UL << _depth)) != 0)
        {
            ++index; // past the last known member: a newer writer's, skipped by the caller
            return true;
        }
        if (NextType() != MessagePackType.String)
        {
            // A key that is not a string cannot name a member: skip the key, and the caller skips the value.
            Skip();
            index = -1;
            return true;
        }
        // Member names are matched on their UTF-8 bytes, without making a string.
        index = _r.TryReadStringSpan(out ReadOnlySpan<byte> key) ? members.IndexOf(key) : members.IndexOf(_r.ReadStringSequence()!.Value.ToArray());
        return true;
    }

    /// <inheritdoc />
    public int ReadVariant(WireMembers variants)
    {
        MessagePackType type = NextType();
        if (type == MessagePackType.Map)
        {
            // Look ahead on a copy of the library's reader: "$type" anywhere among the map's keys.
            MessagePackReader scan = _r;
            try
            {
                int count = scan.ReadMapHeader();
                for (int n = 0; n < count; n++)
                {
                    bool isType = scan.NextMessagePackType == MessagePackType.String && scan.TryReadStringSpan(out ReadOnlySpan<byte> key)
                        ? key.SequenceEqual("$type"u8)
                        : SkipKey(ref scan);
                    if (!isType)
                    {
                        scan.Skip();
                        continue;
                    }
                    if (scan.NextMessagePackType != MessagePackType.String)
                        throw new WireFormatException($"{variants.TypeName}: the type discriminator \"$type\" must be a string, found {UntrustedInput.Describe(scan.NextCode)}.");
                    string discriminator = scan.ReadString()!;
                    for (int i = 0; i < variants.Count; i++)
                        if (variants.Names[i].Length > 0 && variants.Names[i] == discriminator) return i;
                    throw WireFormatException.UnknownDiscriminator(variants.TypeName, discriminator);
                }
            }
            catch (Exception e) when (UntrustedInput.IsMalformed(e))
            {
                throw UntrustedInput.Malformed(e, "a map");
            }
        }
        else if (type != MessagePackType.Array)
        {
            throw Expected("an object");
        }
        int self = Array.IndexOf(variants.Names, "");
        return self >= 0 ? self : throw WireFormatException.MissingDiscriminator(variants.TypeName);
    }

    // A key that is not a string (or a string in pieces): not "$type" unless it spells it.
    private static bool SkipKey(ref MessagePackReader scan)
    {
        if (scan.NextMessagePackType == MessagePackType.String)
            return scan.ReadString() == "$type";
        scan.Skip();
        return false;
    }

    /// <inheritdoc />
    public void ReadStartMap() => Push(ReadMapHeader(), isArray: false);

    /// <inheritdoc />
    public bool ReadNextKey(out string key)
    {
        if (!Next())
        {
            key = "";
            return false;
        }
        key = ReadString();
        return true;
    }

    /// <inheritdoc />
    public bool ReadNextIntegerKey(out long key)
    {
        key = 0;
        if (!Next()) return false;
        // An integer, natively; digits in a string (as JSON has them) are accepted too.
        key = TokenKind != WireTokenKind.String ? ReadInt64()
            : long.TryParse(ReadString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v) ? v : throw new WireFormatException("a map key is not an integer.");
        return true;
    }

    /// <inheritdoc />
    public bool ReadNextUnsignedKey(out ulong key)
    {
        key = 0;
        if (!Next()) return false;
        key = TokenKind != WireTokenKind.String ? ReadUInt64()
            : ulong.TryParse(ReadString(), NumberStyles.None, CultureInfo.InvariantCulture, out ulong v) ? v : throw new WireFormatException("a map key is not a non-negative integer.");
        return true;
    }

    /// <inheritdoc />
    public void Skip()
    {
        try { _r.Skip(); }
        catch (Exception e) when (UntrustedInput.IsMalformed(e)) { throw UntrustedInput.Malformed(e, "a MessagePack value"); }
    }

    private MessagePackType NextType()
    {
        if (_r.End) throw new WireFormatException("the MessagePack value is truncated.");
        return _r.NextMessagePackType;
    }

    private WireFormatException Expected(string what)
        => new($"expected {what}, found {UntrustedInput.Describe(_r.NextCode)} at byte {_r.Consumed}.");
}
