namespace SidecarKit.Schema;

/// <summary>What a <see cref="WireType"/> is.</summary>
public enum WireTypeKind
{
    /// <summary>A primitive (<see cref="WireType.Scalar"/>).</summary>
    Scalar,
    /// <summary>A value that may be null (<see cref="WireType.Element"/> is the value's type).</summary>
    Nullable,
    /// <summary>A list (an array, <c>List&lt;T&gt;</c>, <c>IEnumerable&lt;T&gt;</c>…) of <see cref="WireType.Element"/>.</summary>
    List,
    /// <summary>A map with <see cref="WireType.Key"/> keys (strings, integers, GUIDs or an enum) and <see cref="WireType.Element"/> values.</summary>
    Map,
    /// <summary>A type of the contract's own (a DTO or an enum), defined in <see cref="ContractSchema.Types"/> under <see cref="WireType.Name"/>.</summary>
    Named,
}

/// <summary>The primitives of the wire model; their names are the contract description's (<c>int32</c>, <c>float64</c>, <c>datetimeoffset</c>).</summary>
public enum WireScalar
{
    /// <summary><c>bool</c></summary>
    Bool,
    /// <summary><c>int8</c> (<c>sbyte</c>)</summary>
    Int8,
    /// <summary><c>int16</c></summary>
    Int16,
    /// <summary><c>int32</c></summary>
    Int32,
    /// <summary><c>int64</c> (also <c>nint</c>)</summary>
    Int64,
    /// <summary><c>uint8</c> (<c>byte</c>)</summary>
    UInt8,
    /// <summary><c>uint16</c></summary>
    UInt16,
    /// <summary><c>uint32</c></summary>
    UInt32,
    /// <summary><c>uint64</c> (also <c>nuint</c>)</summary>
    UInt64,
    /// <summary><c>float32</c> (<c>float</c>)</summary>
    Float32,
    /// <summary><c>float64</c> (<c>double</c>)</summary>
    Float64,
    /// <summary><c>decimal</c></summary>
    Decimal,
    /// <summary><c>char</c></summary>
    Char,
    /// <summary><c>string</c></summary>
    String,
    /// <summary><c>bytes</c> (<c>byte[]</c>)</summary>
    Bytes,
    /// <summary><c>guid</c></summary>
    Guid,
    /// <summary><c>datetime</c></summary>
    DateTime,
    /// <summary><c>datetimeoffset</c></summary>
    DateTimeOffset,
    /// <summary><c>timespan</c></summary>
    TimeSpan,
    /// <summary><c>date</c> (<c>DateOnly</c>): an ISO 8601 calendar date, <c>"2024-03-01"</c>, on every format</summary>
    Date,
    /// <summary><c>time</c> (<c>TimeOnly</c>): a time of day, <c>"13:45:30.5"</c>, on every format</summary>
    Time,
    /// <summary><c>int128</c> (<c>Int128</c>): a decimal string on every format</summary>
    Int128,
    /// <summary><c>uint128</c> (<c>UInt128</c>): a decimal string on every format</summary>
    UInt128,
    /// <summary><c>float16</c> (<c>Half</c>): a 32-bit float on every format, holding a value a <c>Half</c> represents</summary>
    Float16,
}

/// <summary>
/// The type of a parameter, result or member as every format sees it: the one schema model the generator emits as
/// object construction (no schema text is parsed at run time). The contract description, the <c>.proto</c> export,
/// the protobuf layout and the reflection descriptors all derive from it.
/// </summary>
public sealed class WireType : IEquatable<WireType>
{
    private static readonly WireType[] s_scalars = [.. Enum.GetValues<WireScalar>().Select(s => new WireType(WireTypeKind.Scalar, s, null, null))];

    private WireType(WireTypeKind kind, WireScalar scalar, WireType? element, string? name, WireType? key = null)
    {
        Kind = kind;
        Scalar = scalar;
        Element = element;
        Name = name;
        Key = key;
    }

    /// <summary>What it is.</summary>
    public WireTypeKind Kind { get; }

    /// <summary>For <see cref="WireTypeKind.Scalar"/>: which primitive.</summary>
    public WireScalar Scalar { get; }

    /// <summary>For nullables, lists and maps: the value's, element's or map value's type.</summary>
    public WireType? Element { get; }

    /// <summary>For <see cref="WireTypeKind.Named"/>: the type's name in the contract (<c>Person</c>).</summary>
    public string? Name { get; }

    /// <summary>For maps: the keys' type (<c>string</c>, an integer, <c>guid</c>, or an enum of the contract); null otherwise.</summary>
    public WireType? Key { get; }

    /// <summary>A primitive.</summary>
    public static WireType Of(WireScalar scalar) => s_scalars[(int)scalar];

    /// <summary>A value of <paramref name="element"/> that may be null (a nullable of a nullable is the nullable itself).</summary>
    public static WireType NullableOf(WireType element)
    {
        ArgumentNullException.ThrowIfNull(element);
        return element.Kind == WireTypeKind.Nullable ? element : new WireType(WireTypeKind.Nullable, default, element, null);
    }

    /// <summary>A list of <paramref name="element"/>.</summary>
    public static WireType ListOf(WireType element)
        => new(WireTypeKind.List, default, element ?? throw new ArgumentNullException(nameof(element)), null);

    /// <summary>A map from strings to <paramref name="value"/>.</summary>
    public static WireType MapOf(WireType value) => MapOf(Of(WireScalar.String), value);

    /// <summary>
    /// A map from <paramref name="key"/> to <paramref name="value"/>. Keys are strings, integers (<c>int8</c> to
    /// <c>uint64</c>), GUIDs or an enum of the contract (a named type), never null.
    /// </summary>
    public static WireType MapOf(WireType key, WireType value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        if (!IsKey(key)) throw new ArgumentException($"'{key}' cannot be a map's key: keys are strings, integers, GUIDs or enums.", nameof(key));
        return new(WireTypeKind.Map, default, value, null, key);
    }

    private static bool IsKey(WireType key) => key.Kind == WireTypeKind.Named || key is
    {
        Kind: WireTypeKind.Scalar,
        Scalar: WireScalar.String or WireScalar.Guid or WireScalar.Int8 or WireScalar.Int16 or WireScalar.Int32 or WireScalar.Int64
            or WireScalar.UInt8 or WireScalar.UInt16 or WireScalar.UInt32 or WireScalar.UInt64,
    };

    /// <summary>A DTO or enum of the contract, by its name.</summary>
    public static WireType Named(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new(WireTypeKind.Named, default, null, name);
    }

    /// <summary>Whether it may be null on the wire.</summary>
    public bool IsNullable => Kind == WireTypeKind.Nullable;

    /// <summary>The type without its nullability.</summary>
    public WireType NonNullable => Kind == WireTypeKind.Nullable ? Element! : this;

    /// <summary>The description's name of a primitive (<c>int32</c>).</summary>
    public static string NameOf(WireScalar scalar) => scalar switch
    {
        WireScalar.Bool => "bool",
        WireScalar.Int8 => "int8",
        WireScalar.Int16 => "int16",
        WireScalar.Int32 => "int32",
        WireScalar.Int64 => "int64",
        WireScalar.UInt8 => "uint8",
        WireScalar.UInt16 => "uint16",
        WireScalar.UInt32 => "uint32",
        WireScalar.UInt64 => "uint64",
        WireScalar.Float32 => "float32",
        WireScalar.Float64 => "float64",
        WireScalar.Decimal => "decimal",
        WireScalar.Char => "char",
        WireScalar.String => "string",
        WireScalar.Bytes => "bytes",
        WireScalar.Guid => "guid",
        WireScalar.DateTime => "datetime",
        WireScalar.DateTimeOffset => "datetimeoffset",
        WireScalar.TimeSpan => "timespan",
        WireScalar.Date => "date",
        WireScalar.Time => "time",
        WireScalar.Int128 => "int128",
        WireScalar.UInt128 => "uint128",
        WireScalar.Float16 => "float16",
        _ => throw new ArgumentOutOfRangeException(nameof(scalar)),
    };

    /// <summary>The type as the contract description writes it: <c>int32</c>, <c>string?</c>, <c>Person[]</c>, <c>map&lt;string,int32&gt;</c>.</summary>
    public override string ToString() => Kind switch
    {
        WireTypeKind.Scalar => NameOf(Scalar),
        WireTypeKind.Nullable => Element + "?",
        WireTypeKind.List => Element + "[]",
        WireTypeKind.Map => "map<" + Key + "," + Element + ">",
        _ => Name!,
    };

    /// <summary>
    /// Reads a type written as <see cref="ToString"/> writes it (what a sidecar announces at ready). A name that is no
    /// primitive is a named type of the contract.
    /// </summary>
    /// <exception cref="FormatException">The text is empty or a <c>map</c> whose keys cannot be keys.</exception>
    public static WireType Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0) throw new FormatException("A wire type cannot be empty.");
        if (text.EndsWith('?')) return NullableOf(Parse(text[..^1]));
        if (text.EndsWith("[]", StringComparison.Ordinal)) return ListOf(Parse(text[..^2]));
        if (text.StartsWith("map<", StringComparison.Ordinal) && text.EndsWith('>'))
        {
            int comma = text.IndexOf(',');   // a key is a primitive or a name: no comma of its own
            WireType? key = comma > 4 ? Parse(text[4..comma]) : null;
            return key is not null && IsKey(key)
                ? MapOf(key, Parse(text[(comma + 1)..^1]))
                : throw new FormatException($"'{text}': a map's keys are strings, integers, GUIDs or enums.");
        }
        foreach (WireType scalar in s_scalars)
            if (NameOf(scalar.Scalar) == text) return scalar;
        return Named(text);
    }

    /// <inheritdoc />
    public bool Equals(WireType? other)
        => other is not null && (ReferenceEquals(this, other)
            || (Kind == other.Kind && Scalar == other.Scalar && Name == other.Name && Equals(Element, other.Element) && Equals(Key, other.Key)));

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as WireType);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Kind, Scalar, Name, Element, Key);
}
