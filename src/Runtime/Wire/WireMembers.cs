using System.Text;
using System.Text.Json;

namespace SidecarKit.Wire;

/// <summary>
/// The member table of an object shape (a DTO or a parameter list): wire names in order, with each format's
/// precomputed form of them. Created once per shape by generated code.
/// </summary>
public sealed class WireMembers
{
    /// <summary>Creates a table.</summary>
    /// <param name="typeName">The shape's name, used in error messages.</param>
    /// <param name="names">The members' wire names, in wire order.</param>
    public WireMembers(string typeName, params string[] names)
        : this(typeName, names, null, null)
    {
    }

    /// <summary>Creates a table that also knows each member's wire type and field number (for schema formats such as Protocol Buffers).</summary>
    /// <param name="typeName">The shape's name, used in error messages.</param>
    /// <param name="names">The members' wire names, in wire order.</param>
    /// <param name="wireTypes">The members' types as the contract description names them (<c>int32</c>, <c>string?</c>, <c>Person[]</c>), or <see langword="null"/>.</param>
    /// <param name="fieldNumbers">The members' field numbers (<c>[SidecarField]</c> or the position from 1), or <see langword="null"/>.</param>
    public WireMembers(string typeName, string[] names, string[]? wireTypes, int[]? fieldNumbers)
    {
        if (wireTypes is not null && wireTypes.Length != names.Length) throw new ArgumentException("One wire type per member is needed.", nameof(wireTypes));
        if (fieldNumbers is not null && fieldNumbers.Length != names.Length) throw new ArgumentException("One field number per member is needed.", nameof(fieldNumbers));
        TypeName = typeName;
        Names = names;
        WireTypes = wireTypes;
        FieldNumbers = fieldNumbers;
        Utf8Names = new byte[names.Length][];
        JsonNames = new JsonEncodedText[names.Length];
        for (int i = 0; i < names.Length; i++)
        {
            Utf8Names[i] = Encoding.UTF8.GetBytes(names[i]);
            JsonNames[i] = JsonEncodedText.Encode(names[i]);
        }
    }

    /// <summary>The shape's name.</summary>
    public string TypeName { get; }

    /// <summary>The members' wire names.</summary>
    public string[] Names { get; }

    /// <summary>The members' wire types as the contract description names them, when the generator supplied them.</summary>
    public string[]? WireTypes { get; }

    /// <summary>The members' field numbers, when the generator supplied them.</summary>
    public int[]? FieldNumbers { get; }

    /// <summary>The names in UTF-8, for formats that compare raw bytes.</summary>
    public byte[][] Utf8Names { get; }

    /// <summary>The names pre-escaped for JSON.</summary>
    public JsonEncodedText[] JsonNames { get; }

    /// <summary>The number of members.</summary>
    public int Count => Names.Length;

    /// <summary>Finds a member by its UTF-8 name; -1 if there is none.</summary>
    public int IndexOf(ReadOnlySpan<byte> utf8Name)
    {
        byte[][] names = Utf8Names;
        for (int i = 0; i < names.Length; i++)
        {
            if (utf8Name.SequenceEqual(names[i]))
                return i;
        }
        return -1;
    }
}
