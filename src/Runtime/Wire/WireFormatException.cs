namespace SidecarKit.Wire;

/// <summary>
/// A value on the wire does not match the contract: wrong kind, out of range, a null where the contract says
/// non-null, or a required member missing. On the receiving side of a request this becomes an
/// invalid-params error (-32602).
/// </summary>
public sealed class WireFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public WireFormatException(string message, Exception? innerException = null) : base(message, innerException) { }

    /// <summary>A required member is absent.</summary>
    public static WireFormatException MissingMember(string typeName, string member)
        => new($"{typeName}: required member '{member}' is missing.");

    /// <summary>
    /// An instance of a type derived from one the contract sends, that the base does not declare with
    /// <c>[SidecarDerivedType]</c>: its own members have no place on the wire, so it is refused rather than sent as its
    /// base (docs/diagnostics.md, SK0021).
    /// </summary>
    public static WireFormatException DerivedType(string typeName, string derivedName)
        => new($"{typeName}: an instance of '{derivedName}', a type derived from it, cannot be sent: {typeName} does not declare it with [SidecarDerivedType], so the contract carries the members of {typeName} only, and those of '{derivedName}' would be lost.");

    /// <summary>A polymorphic value whose type discriminator names no type the base declares (a newer writer's, or a typo).</summary>
    public static WireFormatException UnknownDiscriminator(string typeName, string discriminator)
        => new($"{typeName}: the type discriminator '{discriminator}' names no type derived from {typeName} that this side declares ([SidecarDerivedType]).");

    /// <summary>A polymorphic value of an abstract base (or, in Protocol Buffers, any base) that carries no type discriminator.</summary>
    public static WireFormatException MissingDiscriminator(string typeName)
        => new($"{typeName}: the value has no type discriminator (\"$type\" in JSON and MessagePack, a oneof case in Protocol Buffers), and {typeName} cannot be read as itself.");

    /// <summary>A null where the contract does not allow one.</summary>
    public static WireFormatException NullNotAllowed(string typeName, string member)
        => new($"{typeName}: member '{member}' must not be null.");

    /// <summary>A number does not fit the target type.</summary>
    public static WireFormatException OutOfRange(string typeName, string value)
        => new($"the value {value} is out of range for {typeName}.");

    /// <summary>An enum name that the enum does not define.</summary>
    public static WireFormatException UnknownEnumMember(string enumName, string value)
        => new($"'{value}' is not a member of {enumName}.");
}
