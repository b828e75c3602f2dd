namespace SidecarKit;

/// <summary>
/// One method of a contract as a sidecar announces it when it is ready. A sidecar in another language may announce
/// the name alone; then the parent knows that the method exists but not its shape, and checks presence only.
/// </summary>
/// <param name="Name">The method's wire name (<c>demo.add</c>).</param>
/// <param name="Kind">
/// <c>request</c>, <c>notification</c>, <c>stream</c> (a streamed result), <c>clientStream</c> (a streamed parameter) or
/// <c>duplexStream</c> (both); null when not announced.
/// </param>
/// <param name="Params">The parameters in order (the streamed parameter aside); null when not announced.</param>
/// <param name="Result">The result (or stream item) type, written as the contract description writes types; null for none.</param>
public sealed record SidecarMethodInfo(string Name, string? Kind = null, IReadOnlyList<SidecarFieldInfo>? Params = null, string? Result = null)
{
    /// <summary>
    /// The streamed parameter of a <c>clientStream</c> or <c>duplexStream</c> method: its name, its item type and its
    /// field number; null for the other kinds.
    /// </summary>
    public SidecarFieldInfo? Input { get; init; }

    /// <summary>The type an <c>IProgress&lt;T&gt;</c> parameter reports (its T, written as types are); null for none.</summary>
    public string? Progress { get; init; }
}

/// <summary>A parameter or a DTO member as announced: wire name, type, field number and whether it may be left out.</summary>
/// <param name="Name">The wire name.</param>
/// <param name="Type">The type, written as the contract description writes types (<c>int32</c>, <c>Person?</c>, <c>string[]</c>).</param>
/// <param name="Number">The field number (Protocol Buffers; the position from 1 unless pinned); 0 when not announced, which means the position.</param>
/// <param name="Optional">It may be absent on the wire: a defaulted parameter, or a member that is not required.</param>
public sealed record SidecarFieldInfo(string Name, string Type, int Number = 0, bool Optional = false);

/// <summary>A named type of a contract as announced: a DTO with members or an enum with values.</summary>
/// <param name="Name">Its name in the contract's description.</param>
/// <param name="Kind"><c>object</c> or <c>enum</c>.</param>
/// <param name="Members">A DTO's members; null for an enum.</param>
/// <param name="Values">An enum's values' wire names; null for a DTO.</param>
/// <param name="Variants">
/// A polymorphic DTO's cases (<c>[SidecarDerivedType]</c>): each a discriminator (<see cref="SidecarFieldInfo.Name"/>;
/// empty for the base itself), the case's type and its tag (<see cref="SidecarFieldInfo.Number"/>, the <c>oneof</c>
/// field number); null for any other type.
/// </param>
public sealed record SidecarTypeInfo(string Name, string Kind, IReadOnlyList<SidecarFieldInfo>? Members = null, IReadOnlyList<string>? Values = null,
    IReadOnlyList<SidecarFieldInfo>? Variants = null);
