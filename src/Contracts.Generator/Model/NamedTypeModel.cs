namespace SidecarKit.Generator.Model;

/// <summary>A parameter or DTO member in the schema: wire name, type and the field number decided once (pin or position).</summary>
internal sealed record FieldModel(string Name, WireShape Shape, int Number, bool IsOptional);

/// <summary>A DTO (<see cref="Members"/>) or an enum (<see cref="Values"/>) of the contract, under its description name.</summary>
/// <param name="Reserved">A DTO's field numbers reserved with <c>[SidecarReserved]</c>, sorted (empty for none).</param>
/// <param name="Variants">A polymorphic DTO's cases: discriminator as the name, the case's type, the tag as the number (empty for none).</param>
internal sealed record NamedTypeModel(string Name, bool IsEnum, EquatableArray<FieldModel> Members, EquatableArray<string> Values, EquatableArray<int> Reserved,
    EquatableArray<FieldModel> Variants = default);
