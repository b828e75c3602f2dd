namespace SidecarKit.Schema;

/// <summary>
/// A contract's wire shape as the generator emitted it: its methods with their parameters and results, and the named
/// types (DTOs, enums) they use. Everything that describes the contract to another format or language derives from
/// it (the <c>.proto</c> export, the protobuf layout, the reflection descriptors).
/// </summary>
/// <param name="Methods">The methods, in declaration order.</param>
/// <param name="Types">The named types, in the order the description lists them.</param>
public sealed record ContractSchema(IReadOnlyList<MethodSchema> Methods, IReadOnlyList<TypeSchema> Types)
{
    /// <summary>The named type called <paramref name="name"/>, or <see langword="null"/>.</summary>
    public TypeSchema? FindType(string name)
    {
        foreach (TypeSchema t in Types)
            if (t.Name == name) return t;
        return null;
    }
}

/// <summary>A method: how it is called, its parameters (with field numbers) and its result or stream item type.</summary>
/// <param name="WireName">The method's wire name (<c>demo.add</c>).</param>
/// <param name="Kind">The call shape.</param>
/// <param name="Parameters">The parameters, in order.</param>
/// <param name="Result">The result (or, for a stream, the item) type; <see langword="null"/> for none.</param>
/// <param name="Reserved">
/// The parameters' field numbers reserved with <c>[SidecarReserved]</c> (removed parameters' numbers, never reused), in
/// ascending order; <see langword="null"/> for none. Read <see cref="ReservedNumbers"/>.
/// </param>
/// <param name="Input">
/// The streamed parameter (<see cref="MethodKind.ClientStream"/>, <see cref="MethodKind.DuplexStream"/>): its name, item
/// type and field number, in the numbering of <paramref name="Parameters"/>; <see langword="null"/> for the other kinds.
/// </param>
/// <param name="Progress">The type an <c>IProgress&lt;T&gt;</c> parameter reports (its T); <see langword="null"/> for none.</param>
public sealed record MethodSchema(string WireName, MethodKind Kind, IReadOnlyList<WireField> Parameters, WireType? Result,
    IReadOnlyList<int>? Reserved = null, WireField? Input = null, WireType? Progress = null)
{
    /// <summary>The reserved field numbers of the request (<see cref="Reserved"/>, empty for none).</summary>
    public IReadOnlyList<int> ReservedNumbers => Reserved ?? [];
}

/// <summary>What a <see cref="TypeSchema"/> defines.</summary>
public enum TypeSchemaKind
{
    /// <summary>A DTO: an object with members.</summary>
    Object,
    /// <summary>An enum: its values travel as their wire names.</summary>
    Enum,
}

/// <summary>A named type of the contract.</summary>
/// <param name="Name">Its name in the contract (<c>Person</c>).</param>
/// <param name="Kind">A DTO or an enum.</param>
/// <param name="Members">A DTO's members, in wire order (empty for enums).</param>
/// <param name="Values">An enum's values' wire names (empty for DTOs).</param>
/// <param name="Reserved">
/// A DTO's field numbers reserved with <c>[SidecarReserved]</c> (removed members' numbers, never reused), in ascending
/// order; <see langword="null"/> for none. Read <see cref="ReservedNumbers"/>.
/// </param>
/// <param name="Variants">
/// A polymorphic DTO's cases (<c>[SidecarDerivedType]</c>), in declaration order: each a derived type (its
/// <see cref="WireField.Type"/> names it) under its discriminator (<see cref="WireField.Name"/>) and its tag (the
/// <c>oneof</c> case's <see cref="WireField.Number"/>); the base itself, when it is not abstract, comes first with an
/// empty name (its own members are <see cref="Members"/>; an abstract base has none). <see langword="null"/> for a DTO
/// that declares no derived type. Read <see cref="VariantCases"/>.
/// </param>
public sealed record TypeSchema(string Name, TypeSchemaKind Kind, IReadOnlyList<WireField> Members, IReadOnlyList<string> Values,
    IReadOnlyList<int>? Reserved = null, IReadOnlyList<WireField>? Variants = null)
{
    /// <summary>The reserved field numbers (<see cref="Reserved"/>, empty for none).</summary>
    public IReadOnlyList<int> ReservedNumbers => Reserved ?? [];

    /// <summary>The polymorphic cases (<see cref="Variants"/>, empty for none).</summary>
    public IReadOnlyList<WireField> VariantCases => Variants ?? [];

    /// <summary>Whether the type declares derived types (a polymorphic base).</summary>
    public bool IsPolymorphic => Variants is { Count: > 0 };
}
