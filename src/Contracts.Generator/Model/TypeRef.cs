namespace SidecarKit.Generator.Model;

/// <summary>A use of a type: which codec serves it, and whether null is allowed at this place.</summary>
/// <param name="TypeText">The fully qualified type as written at the use (with <c>?</c> where annotated).</param>
/// <param name="CodecType">The codec class that serves it (<c>global::SidecarKit.Wire.WireCodecs.Int32</c>, or a generated one).</param>
/// <param name="IsReferenceType">Whether the value may be null at run time (a reference type).</param>
/// <param name="AllowsNull">Whether the contract allows null here (a nullable annotation, or an oblivious context).</param>
/// <param name="Shape">The type as the wire sees it (the schema model; its text is the description's <c>int32</c>, <c>string?</c>, <c>Person</c>).</param>
/// <param name="CodecValueType">The codec's value type: <see cref="TypeText"/> without a top-level nullable annotation on a reference type.</param>
internal sealed record TypeRef(string TypeText, string CodecType, bool IsReferenceType, bool AllowsNull, WireShape Shape, string CodecValueType)
{
    /// <summary>The type as the contract description names it.</summary>
    public string WireType => Shape.Text;
}
