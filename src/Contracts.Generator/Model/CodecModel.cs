namespace SidecarKit.Generator.Model;

/// <summary>What kind of codec to generate.</summary>
internal enum CodecKind
{
    Nullable,
    Enum,
    Array,
    List,
    Enumerable,
    Set,            // HashSet<T>, ISet<T>, IReadOnlySet<T>: read into a HashSet<T>
    ImmutableArray,
    ImmutableList,
    Map,
    ImmutableMap,   // ImmutableDictionary<string, T>
    Object,
}

/// <summary>One generated codec: for a composite type (DTO, enum, collection, nullable).</summary>
/// <param name="ClassName">The generated class's name.</param>
/// <param name="ValueType">The fully qualified type it writes and reads.</param>
/// <param name="Kind">The codec kind.</param>
/// <param name="Element">For collections and nullables: the element's use.</param>
/// <param name="DisplayName">A readable name for error messages.</param>
/// <param name="Members">For objects: the members in wire order.</param>
/// <param name="EnumMembers">For enums: the named values.</param>
/// <param name="EnumUnderlying">For enums: the underlying integer type.</param>
/// <param name="ConstructorArity">For objects: how many members go through the constructor (they come first in <paramref name="Members"/>'s constructor order).</param>
/// <param name="IsValueType">Whether the type is a struct.</param>
/// <param name="Key">For maps whose keys are not strings: the keys' use (an integer, <c>Guid</c> or an enum).</param>
/// <param name="EnumKeys">For enums used as map keys: also emit <c>KeyOf</c>/<c>FromKey</c> (the name as a string key).</param>
/// <param name="IsOpen">For objects: a class that is not sealed, so a derived instance may reach the codec at run time.</param>
/// <param name="Variants">For objects: a polymorphic base's cases (<c>[SidecarDerivedType]</c>, the base itself first when it is not abstract); empty for others.</param>
/// <param name="IsVariantCase">For objects: a case of some polymorphic base, so its codec also has <c>WriteMembers</c> and <c>ReadObject</c> (its members without the object around them; the object as itself, never polymorphic).</param>
/// <param name="IsAbstract">For objects: an abstract polymorphic base (no instance of its own, no members of its own on the wire).</param>
internal sealed record CodecModel(
    string ClassName,
    string ValueType,
    CodecKind Kind,
    TypeRef? Element,
    string DisplayName,
    EquatableArray<MemberModel> Members,
    EquatableArray<EnumMemberModel> EnumMembers,
    string? EnumUnderlying,
    int ConstructorArity,
    bool IsValueType,
    TypeRef? Key = null,
    bool EnumKeys = false,
    bool IsOpen = false,
    EquatableArray<VariantModel> Variants = default,
    bool IsVariantCase = false,
    bool IsAbstract = false)
{
    /// <summary>Whether the type declares derived types: its codec writes a discriminator and dispatches on the run-time type.</summary>
    public bool IsPolymorphic => Variants.Count > 0;
}

/// <summary>One case of a polymorphic base: a declared derived type, or the base itself (empty discriminator).</summary>
/// <param name="Discriminator">The <c>"$type"</c> value; empty for the base itself (written without one).</param>
/// <param name="Tag">The Protocol Buffers field number of the case in the base's <c>oneof</c>.</param>
/// <param name="ValueType">The case's fully qualified type.</param>
/// <param name="CodecType">The case's codec class.</param>
/// <param name="WireType">The case's name in the description and schema.</param>
internal sealed record VariantModel(string Discriminator, int Tag, string ValueType, string CodecType, string WireType);

/// <summary>How a DTO member is set when read.</summary>
internal enum MemberSetter
{
    /// <summary>A constructor parameter.</summary>
    Constructor,
    /// <summary>An <c>init</c> or <c>required</c> property: set in the object initializer.</summary>
    Initializer,
    /// <summary>A settable property: set after construction when present.</summary>
    Assignment,
}

/// <summary>One DTO member.</summary>
/// <param name="Name">The C# property name.</param>
/// <param name="WireName">The wire name (camelCase unless overridden).</param>
/// <param name="Type">The member's type use.</param>
/// <param name="Setter">How it is set on read.</param>
/// <param name="ConstructorIndex">For constructor members: the parameter position.</param>
/// <param name="IsRequired">Whether reading fails when it is absent.</param>
/// <param name="DefaultValueText">For optional constructor parameters: their default value as C#.</param>
/// <param name="Field">The field number given by <c>[SidecarField]</c>, or 0 for the position.</param>
internal sealed record MemberModel(string Name, string WireName, TypeRef Type, MemberSetter Setter, int ConstructorIndex, bool IsRequired, string? DefaultValueText, int Field = 0);

/// <summary>One enum member.</summary>
internal sealed record EnumMemberModel(string Name, string WireName, string ValueText);
