using System.Text;

namespace SidecarKit.Generator.Parsing;

internal static class Naming
{
    /// <summary>camelCase the way System.Text.Json's <c>JsonNamingPolicy.CamelCase</c> does (<c>URLValue</c> → <c>urlValue</c>).</summary>
    public static string CamelCase(string name)
    {
        if (name.Length == 0 || !char.IsUpper(name[0])) return name;
        char[] chars = name.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
        {
            if (i == 1 && !char.IsUpper(chars[i])) break;
            bool hasNext = i + 1 < chars.Length;
            if (i > 0 && hasNext && !char.IsUpper(chars[i + 1]))
            {
                if (chars[i + 1] == ' ') chars[i] = char.ToLowerInvariant(chars[i]);
                break;
            }
            chars[i] = char.ToLowerInvariant(chars[i]);
        }
        return new string(chars);
    }

    /// <summary>Contract names that belong to JSON-RPC and to SidecarKit's built-in messages.</summary>
    public static bool IsReservedContractName(string name) => name is "rpc" or "system" or "lifecycle";

    /// <summary>The default method wire name part: the C# name without a trailing <c>Async</c>, camelCased.</summary>
    public static string MethodWireName(string name)
    {
        if (name.Length > 5 && name.EndsWith("Async", System.StringComparison.Ordinal)) name = name.Substring(0, name.Length - 5);
        return CamelCase(name);
    }

    /// <summary>A C# identifier made from any text.</summary>
    public static string Identifier(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            if (char.IsLetterOrDigit(c)) sb.Append(c);
            else if (sb.Length > 0 && sb[sb.Length - 1] != '_') sb.Append('_');
        }
        return sb.ToString().Trim('_');
    }

    /// <summary>Escapes a string for a C# verbatim-free string literal.</summary>
    public static string Literal(string value)
        => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n").Replace("\r", "\\r") + "\"";

    /// <summary>64-bit FNV-1a of the text's UTF-8 bytes, as 16 hex digits: the contract fingerprint.</summary>
    public static string Fingerprint(string text)
    {
        ulong hash = 14695981039346656037UL;
        foreach (byte b in Encoding.UTF8.GetBytes(text))
        {
            hash ^= b;
            hash *= 1099511628211UL;
        }
        return hash.ToString("x16");
    }
}
