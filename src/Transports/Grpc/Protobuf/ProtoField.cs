using SidecarKit.Schema;

namespace SidecarKit.Transports.Grpc.Protobuf;

/// <summary>How a value is laid out in Protocol Buffers (docs/grpc.md has the mapping this follows).</summary>
internal enum ProtoKind : byte
{
    Bool,
    Int,        // int32 / int64: sign-extended varint
    UInt,       // uint32 / uint64: varint
    Float,      // fixed32 (also Half)
    Double,     // fixed64
    String,     // also char, Guid, decimal, DateOnly, TimeOnly, Int128, UInt128
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
/// The layout of one field (or of the elements of a repeated field), derived once from the <see cref="WireType"/> the
/// generator emitted.
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

    /// <summary>The layout of a field of type <paramref name="type"/> numbered <paramref name="number"/>.</summary>
    public static ProtoField For(WireType type, int number)
    {
        WireType inner = type.NonNullable;
        if (inner.Kind == WireTypeKind.List)
            return new ProtoField(number, ProtoKind.Repeated, false, ElementOf(inner.Element!));
        if (inner.Kind == WireTypeKind.Map)
            return new ProtoField(number, ProtoKind.Map, false, ElementOf(inner.Element!));
        ProtoKind kind = Single(inner);
        bool message = kind is ProtoKind.Named or ProtoKind.Timestamp or ProtoKind.Duration;
        return new ProtoField(number, kind, type.IsNullable || message, null, Is64Bit(inner));
    }

    // Protobuf cannot nest repeated fields or maps, nor hold a null element: those elements get wrapper messages.
    private static ProtoField ElementOf(WireType type) => type.Kind switch
    {
        WireTypeKind.Nullable => new ProtoField(0, ProtoKind.OptionalWrapper, false, For(type, 1)),
        WireTypeKind.List => new ProtoField(0, ProtoKind.ListWrapper, false, For(type, 1)),
        WireTypeKind.Map => new ProtoField(0, ProtoKind.MapWrapper, false, For(type, 1)),
        _ => new ProtoField(0, Single(type), false, null, Is64Bit(type)),
    };

    private static bool Is64Bit(WireType type) => type is { Kind: WireTypeKind.Scalar, Scalar: WireScalar.Int64 or WireScalar.UInt64 };

    private static ProtoKind Single(WireType type) => type.Kind != WireTypeKind.Scalar ? ProtoKind.Named : type.Scalar switch
    {
        WireScalar.Bool => ProtoKind.Bool,
        WireScalar.Int8 or WireScalar.Int16 or WireScalar.Int32 or WireScalar.Int64 => ProtoKind.Int,
        WireScalar.UInt8 or WireScalar.UInt16 or WireScalar.UInt32 or WireScalar.UInt64 => ProtoKind.UInt,
        WireScalar.Float32 or WireScalar.Float16 => ProtoKind.Float,
        WireScalar.Float64 => ProtoKind.Double,
        WireScalar.String or WireScalar.Char or WireScalar.Guid or WireScalar.Decimal
            or WireScalar.Date or WireScalar.Time or WireScalar.Int128 or WireScalar.UInt128 => ProtoKind.String,
        WireScalar.Bytes => ProtoKind.Bytes,
        WireScalar.DateTime or WireScalar.DateTimeOffset => ProtoKind.Timestamp,
        WireScalar.TimeSpan => ProtoKind.Duration,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };
}
