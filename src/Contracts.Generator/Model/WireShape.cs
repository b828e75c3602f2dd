namespace SidecarKit.Generator.Model;

/// <summary>What a <see cref="WireShape"/> is (mirrors the runtime's <c>SidecarKit.Schema.WireTypeKind</c>).</summary>
internal enum WireShapeKind
{
    Scalar,
    Nullable,
    List,
    Map,
    Named,
}

/// <summary>
/// A type as the wire sees it, in the generator's model: emitted as construction of the runtime's
/// <c>SidecarKit.Schema.WireType</c> (<see cref="Expression"/>) and written into the contract description
/// (<see cref="Text"/>), so both come from one value.
/// </summary>
/// <param name="Kind">What it is.</param>
/// <param name="Name">A scalar's name in the runtime's <c>WireScalar</c> enum (<c>Int32</c>), or a named type's name.</param>
/// <param name="Element">For nullables, lists and maps: the inner type.</param>
/// <param name="Key">For maps whose keys are not strings: the keys' type (an integer, <c>Guid</c> or an enum).</param>
internal sealed record WireShape(WireShapeKind Kind, string Name, WireShape? Element, WireShape? Key = null)
{
    private const string Type = "global::SidecarKit.Schema.WireType.";

    public static WireShape Scalar(string scalar) => new(WireShapeKind.Scalar, scalar, null);

    public static WireShape NullableOf(WireShape element) => element.Kind == WireShapeKind.Nullable ? element : new(WireShapeKind.Nullable, "", element);

    public static WireShape ListOf(WireShape element) => new(WireShapeKind.List, "", element);

    public static WireShape MapOf(WireShape value) => new(WireShapeKind.Map, "", value);

    public static WireShape MapOf(WireShape? key, WireShape value) => new(WireShapeKind.Map, "", value, key);

    public static WireShape Named(string name) => new(WireShapeKind.Named, name, null);

    /// <summary>The description's text (<c>int32</c>, <c>string?</c>, <c>Person[]</c>, <c>map&lt;string,int32&gt;</c>).</summary>
    public string Text => Kind switch
    {
        WireShapeKind.Scalar => Name.ToLowerInvariant(),   // the enum's names are the description's, cased (Int32 → int32)
        WireShapeKind.Nullable => Element!.Text + "?",
        WireShapeKind.List => Element!.Text + "[]",
        WireShapeKind.Map => "map<" + (Key?.Text ?? "string") + "," + Element!.Text + ">",
        _ => Name,
    };

    /// <summary>C# that builds the runtime's <c>WireType</c>.</summary>
    public string Expression => Kind switch
    {
        WireShapeKind.Scalar => Type + "Of(global::SidecarKit.Schema.WireScalar." + Name + ")",
        WireShapeKind.Nullable => Type + "NullableOf(" + Element!.Expression + ")",
        WireShapeKind.List => Type + "ListOf(" + Element!.Expression + ")",
        WireShapeKind.Map => Type + "MapOf(" + (Key is null ? "" : Key.Expression + ", ") + Element!.Expression + ")",
        _ => Type + "Named(" + Parsing.Naming.Literal(Name) + ")",
    };
}
