namespace SidecarKit.Transports.Grpc.Protobuf;

/// <summary>How a value is laid out in Protocol Buffers (docs/grpc.md has the mapping this follows).</summary>
internal enum ProtoKind : byte
{
    Bool,
    Int,        // int32 / int64: sign-extended varint
    UInt,       // uint32 / uint64: varint
    Float,      // fixed32
    Double,     // fixed64
    String,     // also char, Guid, decimal
    Bytes,
    Timestamp,  // google.protobuf.Timestamp
    Duration,   // google.protobuf.Duration
    Named,      // a DTO (a message) or an enum (a string): told apart by the codec's calls, never needed up front
    Repeated,   // Element: the element's layout
    Map,        // Element: the value's layout; entries are messages { key = 1; value = 2; }
    OptionalWrapper, // a nullable element or map value: message { optional T value = 1; }; Element: that field
    ListWrapper,     // a list inside a list or map: message { repeated T items = 1; }; Element: that field
    MapWrapper,      // a map inside a list or map: message { map<string, T> entries = 1; }; Element: that field
}

/// <summary>
/// The layout of one field (or of the elements of a repeated field), derived once from a wire type the generator
/// wrote (<c>int32</c>, <c>string?</c>, <c>Person[]</c>, <c>map&lt;string,int32[]&gt;</c>).
/// </summary>
internal sealed class ProtoField
{
    private ProtoField(int number, ProtoKind kind, bool hasPresence, ProtoField? element, bool is64 = false)
    {
        Number = number;
        Kind = kind;
        HasPresence = hasPresence;
        Element = element;
        Is64 = is64;
    }

    /// <summary>The field number (1 for a wrapper's inner field).</summary>
    public int Number { get; }

    public ProtoKind Kind { get; }

    /// <summary>Whether absence means null (proto3 <c>optional</c>, messages) rather than the type's default.</summary>
    public bool HasPresence { get; }

    /// <summary>For integers: a 64-bit proto type (<c>int64</c>, <c>uint64</c>) rather than <c>int32</c>/<c>uint32</c>.</summary>
    public bool Is64 { get; }

    /// <summary>For repeated fields, maps and wrappers: the element, value or inner field.</summary>
    public ProtoField? Element { get; }

    /// <summary>Scalars that proto3 packs in repeated fields.</summary>
    public bool IsPackable => Kind is ProtoKind.Bool or ProtoKind.Int or ProtoKind.UInt or ProtoKind.Float or ProtoKind.Double;

    /// <summary>
    /// Whether an absent field reads as its default (0, "", empty list…): proto3 leaves those out. Fields with
    /// presence and messages (DTOs) read as absent instead, so a missing non-nullable DTO is still an error.
    /// </summary>
    public bool DefaultsWhenAbsent => !HasPresence && Kind != ProtoKind.Named;

    /// <summary>The layout of a field of wire type <paramref name="wireType"/>.</summary>
    public static ProtoField Parse(string wireType, int number)
    {
        bool nullable = wireType.EndsWith('?');
        string inner = nullable ? wireType[..^1] : wireType;
        if (inner.EndsWith("[]", StringComparison.Ordinal))
            return new ProtoField(number, ProtoKind.Repeated, false, ElementOf(inner[..^2]));
        if (IsMap(inner))
            return new ProtoField(number, ProtoKind.Map, false, ElementOf(MapValue(inner)));
        ProtoKind kind = Single(inner);
        bool message = kind is ProtoKind.Named or ProtoKind.Timestamp or ProtoKind.Duration;
        return new ProtoField(number, kind, nullable || message, null, Is64Bit(inner));
    }

    // Protobuf cannot nest repeated fields or maps, nor hold a null element: those elements get wrapper messages.
    private static ProtoField ElementOf(string wireType)
    {
        if (wireType.EndsWith('?'))
            return new ProtoField(0, ProtoKind.OptionalWrapper, false, Parse(wireType, 1));
        if (wireType.EndsWith("[]", StringComparison.Ordinal))
            return new ProtoField(0, ProtoKind.ListWrapper, false, Parse(wireType, 1));
        if (IsMap(wireType))
            return new ProtoField(0, ProtoKind.MapWrapper, false, Parse(wireType, 1));
        return new ProtoField(0, Single(wireType), false, null, Is64Bit(wireType));
    }

    private static bool Is64Bit(string wire) => wire is "int64" or "uint64";

    private static bool IsMap(string wire) => wire.StartsWith("map<string,", StringComparison.Ordinal) && wire.EndsWith('>');

    private static string MapValue(string wire) => wire["map<string,".Length..^1];

    private static ProtoKind Single(string wire) => wire switch
    {
        "bool" => ProtoKind.Bool,
        "int8" or "int16" or "int32" or "int64" => ProtoKind.Int,
        "uint8" or "uint16" or "uint32" or "uint64" => ProtoKind.UInt,
        "float32" => ProtoKind.Float,
        "float64" => ProtoKind.Double,
        "string" or "char" or "guid" or "decimal" => ProtoKind.String,
        "bytes" => ProtoKind.Bytes,
        "datetime" or "datetimeoffset" => ProtoKind.Timestamp,
        "timespan" => ProtoKind.Duration,
        _ => ProtoKind.Named,
    };
}
