using System.Globalization;
using System.Text.Json;
using SidecarKit.Wire;

namespace SidecarKit.Transports.JsonLines;

/// <summary>
/// <see cref="IWireReader"/> over <see cref="Utf8JsonReader"/>. Reads exactly the conventions
/// <see cref="JsonWireWriter"/> writes, plus: enums and numbers as documented, objects given as positional arrays.
/// </summary>
public ref struct JsonWireReader : IWireReader
{
    private Utf8JsonReader _r;

    /// <summary>Wraps a reader that is positioned on a value (call <see cref="Utf8JsonReader.Read"/> once first).</summary>
    public JsonWireReader(Utf8JsonReader reader) => _r = reader;

    /// <summary>Creates a reader over one complete JSON value and positions it on the value.</summary>
    public static JsonWireReader Create(ReadOnlySpan<byte> json, int maxDepth)
    {
        var r = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = maxDepth });
        r.Read();
        return new JsonWireReader(r);
    }

    /// <inheritdoc />
    public readonly WireTokenKind TokenKind => _r.TokenType switch
    {
        JsonTokenType.Null => WireTokenKind.Null,
        JsonTokenType.True or JsonTokenType.False => WireTokenKind.Boolean,
        JsonTokenType.Number => WireTokenKind.Number,
        JsonTokenType.String => WireTokenKind.String,
        JsonTokenType.StartArray => WireTokenKind.Array,
        JsonTokenType.StartObject => WireTokenKind.Object,
        _ => WireTokenKind.None,
    };

    /// <inheritdoc />
    public readonly bool TryReadNull() => _r.TokenType == JsonTokenType.Null;

    /// <inheritdoc />
    public readonly bool ReadBoolean() => _r.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        _ => throw Expected("a Boolean"),
    };

    /// <inheritdoc />
    public readonly long ReadInt64()
    {
        if (_r.TokenType == JsonTokenType.Number && _r.TryGetInt64(out long v)) return v;
        throw Expected("an integer (Int64)");
    }

    /// <inheritdoc />
    public readonly ulong ReadUInt64()
    {
        if (_r.TokenType == JsonTokenType.Number && _r.TryGetUInt64(out ulong v)) return v;
        throw Expected("a non-negative integer (UInt64)");
    }

    /// <inheritdoc />
    public readonly float ReadSingle()
    {
        double d = ReadDouble();
        float f = (float)d;
        if (float.IsInfinity(f) && !double.IsInfinity(d)) throw WireFormatException.OutOfRange("Single", d.ToString(CultureInfo.InvariantCulture));
        return f;
    }

    /// <inheritdoc />
    public readonly double ReadDouble()
    {
        if (_r.TokenType == JsonTokenType.Number && _r.TryGetDouble(out double v)) return v;
        if (_r.TokenType == JsonTokenType.String)
        {
            if (_r.ValueTextEquals("NaN"u8)) return double.NaN;
            if (_r.ValueTextEquals("Infinity"u8)) return double.PositiveInfinity;
            if (_r.ValueTextEquals("-Infinity"u8)) return double.NegativeInfinity;
        }
        throw Expected("a number");
    }

    /// <inheritdoc />
    public readonly decimal ReadDecimal()
    {
        if (_r.TokenType == JsonTokenType.Number && _r.TryGetDecimal(out decimal v)) return v;
        throw Expected("a decimal number");
    }

    /// <inheritdoc />
    public readonly string ReadString()
        => _r.TokenType == JsonTokenType.String ? _r.GetString()! : throw Expected("a string");

    /// <inheritdoc />
    public readonly byte[] ReadBytes()
    {
        if (_r.TokenType == JsonTokenType.String)
        {
            // What writers send (unescaped, padded, no whitespace) is decoded straight into the result; anything else
            // takes System.Text.Json's way, which decodes into a buffer of its own and copies (a 64 KiB stream chunk
            // would pay for the copy and the zeroing).
            if (!_r.ValueIsEscaped && !_r.HasValueSequence && TryDecodeBase64(_r.ValueSpan) is { } direct) return direct;
            if (_r.TryGetBytesFromBase64(out byte[]? v)) return v;
        }
        throw Expected("a base64 string");
    }

    private static byte[]? TryDecodeBase64(ReadOnlySpan<byte> text)
    {
        if (text.Length % 4 != 0) return null;
        int padding = text.IsEmpty || text[^1] != (byte)'=' ? 0 : text[^2] == (byte)'=' ? 2 : 1;
        byte[] bytes = SidecarKit.Rpc.ByteStreams.NewBytes(text.Length / 4 * 3 - padding);
        if (System.Buffers.Text.Base64.DecodeFromUtf8(text, bytes, out _, out int written) == System.Buffers.OperationStatus.Done
            && written == bytes.Length)
            return bytes;
        return null;   // not decodable this way: the library's way decides (the array is left to the collector)
    }

    /// <inheritdoc />
    public readonly Guid ReadGuid()
    {
        if (_r.TokenType == JsonTokenType.String && _r.TryGetGuid(out Guid v)) return v;
        throw Expected("a GUID string");
    }

    /// <inheritdoc />
    public readonly DateTime ReadDateTime()
    {
        if (_r.TokenType == JsonTokenType.String && _r.TryGetDateTime(out DateTime v)) return v;
        throw Expected("an ISO 8601 date-time string");
    }

    /// <inheritdoc />
    public readonly DateTimeOffset ReadDateTimeOffset()
    {
        if (_r.TokenType == JsonTokenType.String && _r.TryGetDateTimeOffset(out DateTimeOffset v)) return v;
        throw Expected("an ISO 8601 date-time string");
    }

    /// <inheritdoc />
    public readonly TimeSpan ReadTimeSpan()
    {
        if (_r.TokenType == JsonTokenType.String
            && TimeSpan.TryParseExact(_r.GetString(), "c", CultureInfo.InvariantCulture, out TimeSpan v))
            return v;
        throw Expected("a duration string ([-][d.]hh:mm:ss[.fffffff])");
    }

    /// <inheritdoc />
    public readonly void ReadStartArray()
    {
        if (_r.TokenType != JsonTokenType.StartArray) throw Expected("an array");
    }

    /// <inheritdoc />
    public bool ReadNextItem()
    {
        _r.Read();
        return _r.TokenType != JsonTokenType.EndArray;
    }

    /// <inheritdoc />
    public readonly void ReadStartObject()
    {
        if (_r.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray)) throw Expected("an object");
    }

    /// <inheritdoc />
    public bool ReadNextMember(WireMembers members, ref int index)
    {
        _r.Read();
        switch (_r.TokenType)
        {
            case JsonTokenType.EndObject:
            case JsonTokenType.EndArray:
                return false;
            case JsonTokenType.PropertyName:
                index = Match(members, index);
                _r.Read();
                return true;
            default:
                ++index; // past the last known member: a newer writer's, skipped by the caller
                return true;
        }
    }

    private readonly int Match(WireMembers members, int previous)
    {
        // Members usually arrive in the order they were written: try the next one first.
        byte[][] names = members.Utf8Names;
        int next = previous + 1;
        if ((uint)next < (uint)names.Length && _r.ValueTextEquals(names[next])) return next;
        for (int i = 0; i < names.Length; i++)
        {
            if (i != next && _r.ValueTextEquals(names[i])) return i;
        }
        return -1;
    }

    /// <summary>The member that carries a polymorphic value's type discriminator.</summary>
    internal static readonly JsonEncodedText TypeMember = JsonEncodedText.Encode("$type");

    /// <inheritdoc />
    public readonly int ReadVariant(WireMembers variants)
    {
        if (_r.TokenType == JsonTokenType.StartObject)
        {
            // Look ahead on a copy (the value is complete in memory): "$type" anywhere among the object's own members.
            Utf8JsonReader scan = _r;
            int depth = scan.CurrentDepth;
            while (scan.Read() && !(scan.TokenType == JsonTokenType.EndObject && scan.CurrentDepth == depth))
            {
                if (scan.TokenType != JsonTokenType.PropertyName) continue;
                bool isType = scan.ValueTextEquals("$type"u8);
                scan.Read();
                if (!isType)
                {
                    scan.Skip();
                    continue;
                }
                if (scan.TokenType != JsonTokenType.String)
                    throw new WireFormatException($"{variants.TypeName}: the type discriminator \"$type\" must be a string, found {Describe(scan.TokenType)}.");
                for (int i = 0; i < variants.Count; i++)
                    if (variants.Names[i].Length > 0 && scan.ValueTextEquals(variants.Utf8Names[i])) return i;
                throw WireFormatException.UnknownDiscriminator(variants.TypeName, scan.GetString()!);
            }
        }
        else if (_r.TokenType != JsonTokenType.StartArray)
        {
            throw Expected("an object");
        }
        int self = Array.IndexOf(variants.Names, "");
        return self >= 0 ? self : throw WireFormatException.MissingDiscriminator(variants.TypeName);
    }

    /// <inheritdoc />
    public readonly void ReadStartMap()
    {
        if (_r.TokenType != JsonTokenType.StartObject) throw Expected("an object");
    }

    /// <inheritdoc />
    public bool ReadNextIntegerKey(out long key)
    {
        key = 0;
        if (!ReadNextKey(out string text)) return false;
        key = long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v)
            ? v : throw new WireFormatException($"the key '{text}' is not an integer.");
        return true;
    }

    /// <inheritdoc />
    public bool ReadNextUnsignedKey(out ulong key)
    {
        key = 0;
        if (!ReadNextKey(out string text)) return false;
        key = ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong v)
            ? v : throw new WireFormatException($"the key '{text}' is not a non-negative integer.");
        return true;
    }

    /// <inheritdoc />
    public bool ReadNextKey(out string key)
    {
        _r.Read();
        if (_r.TokenType != JsonTokenType.PropertyName)
        {
            key = "";
            return false;
        }
        key = _r.GetString()!;
        _r.Read();
        return true;
    }

    /// <inheritdoc />
    public void Skip() => _r.Skip();

    private readonly WireFormatException Expected(string what)
        => new($"expected {what}, found {Describe(_r.TokenType)} at byte {_r.TokenStartIndex}.");

    private static string Describe(JsonTokenType t) => t switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a Boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.None => "nothing",
        _ => t.ToString(),
    };
}
