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
        : this(typeName, names, false)
    {
    }

    /// <summary>Creates a table that also knows each member's wire type and field number (for schema formats such as Protocol Buffers).</summary>
    /// <param name="typeName">The shape's name, used in error messages.</param>
    /// <param name="fields">The members, in wire order.</param>
    public WireMembers(string typeName, Schema.WireField[] fields)
        : this(typeName, NamesOf(fields))
    {
        Fields = fields;
    }

    private WireMembers(string typeName, string[] names, bool _)
    {
        TypeName = typeName;
        Names = names;
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

    /// <summary>The members with their wire types and field numbers, when the generator supplied them.</summary>
    public Schema.WireField[]? Fields { get; }

    private static string[] NamesOf(Schema.WireField[] fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var names = new string[fields.Length];
        for (int i = 0; i < fields.Length; i++) names[i] = fields[i].Name;
        return names;
    }

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
