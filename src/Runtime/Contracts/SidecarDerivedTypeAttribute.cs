namespace SidecarKit;

/// <summary>
/// Declares, on a class or record that a contract sends or receives, a derived type that may travel where the base is
/// declared (like System.Text.Json's <c>[JsonDerivedType]</c>). The base's generated codec then writes a type
/// discriminator and the derived type's members, and reads back the derived type the discriminator names; dispatch is
/// on the exact run-time type, generated, with no reflection.
/// </summary>
/// <remarks>
/// <para>
/// On the wire (docs/protocol.md, "Polymorphism"): in JSON and MessagePack a <c>"$type"</c> member holding
/// <see cref="Discriminator"/>, written first, then the derived type's members; in Protocol Buffers the base's message is
/// a <c>oneof</c> with one case per derived type, numbered by <see cref="Tag"/> (docs/grpc.md).
/// </para>
/// <para>
/// Declare every derived type that may be sent as this base on the base itself, indirect ones included (a hierarchy is
/// flattened onto the declared type of the contract's member, parameter or result). A derived instance of a type that is
/// not declared is a build error where the generator sees the type (SK0021) and a <c>WireFormatException</c> naming it
/// at run time where it cannot; an unknown discriminator when reading is a <c>WireFormatException</c> too. Never is a
/// derived instance silently sent as its base.
/// </para>
/// </remarks>
/// <param name="derivedType">The derived type: a concrete class deriving (directly or not) from the class this is on.</param>
/// <param name="discriminator">
/// Its name on the wire: unique among the base's declarations, starting with a letter, then letters, digits or <c>_</c>
/// (it is also the <c>oneof</c> case's field name in the <c>.proto</c>).
/// </param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SidecarDerivedTypeAttribute(Type derivedType, string discriminator) : Attribute
{
    /// <summary>The first <see cref="Tag"/> a declaration takes by default: the base itself (when it is not abstract) has this one.</summary>
    public const int FirstDefaultTag = 100;

    /// <summary>The derived type.</summary>
    public Type DerivedType { get; } = derivedType;

    /// <summary>The derived type's name on the wire.</summary>
    public string Discriminator { get; } = discriminator;

    /// <summary>
    /// The Protocol Buffers field number of this case of the base's <c>oneof</c>; 0 (the default) for
    /// <see cref="FirstDefaultTag"/> plus the declaration's position (the first declaration 101, the next 102…; the base
    /// itself, when it is not abstract, is 100). Pin it when you reorder or remove declarations, so a reader built
    /// before the change still reads the same cases: 1 to 536,870,911, not 19,000 to 19,999, each once among the base's
    /// cases (SK0025).
    /// </summary>
    public int Tag { get; set; }
}
