using System.Collections.Generic;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using SidecarKit.Generator.Model;

namespace SidecarKit.Generator.Parsing;

/// <summary>
/// Reads and checks the <c>[SidecarDerivedType]</c> declarations on a base type (SK0023 to SK0025): each names a concrete
/// type deriving from the base, under a discriminator that is an identifier and unique, with a Protocol Buffers tag (the
/// <c>oneof</c> case's field number: pinned, or 100 plus the declaration's position) that is valid and unique, the base
/// itself (when it is not abstract) having 100.
/// </summary>
internal static class Polymorphism
{
    public const string Attribute = "SidecarKit.SidecarDerivedTypeAttribute";

    /// <summary>The tag of the base itself, and the one the declarations' default tags count from (the runtime attribute's <c>FirstDefaultTag</c>).</summary>
    public const int FirstTag = 100;

    private static readonly Regex s_discriminator = new("^[A-Za-z][A-Za-z0-9_]*$");

    /// <summary>One checked declaration.</summary>
    public sealed record Declaration(INamedTypeSymbol Type, string Discriminator, int Tag, Location? Location);

    /// <summary>Whether <paramref name="type"/> carries any declaration (valid or not).</summary>
    public static bool Declares(INamedTypeSymbol type)
    {
        foreach (AttributeData a in type.GetAttributes())
            if (a.AttributeClass?.ToDisplayString() == Attribute) return true;
        return false;
    }

    /// <summary>
    /// Every type a declaration on <paramref name="type"/> names, valid or not (for SK0021: a derived type whose declaration
    /// has a mistake is reported there, not again as undeclared).
    /// </summary>
    public static IEnumerable<INamedTypeSymbol> Named(INamedTypeSymbol type)
    {
        foreach (AttributeData a in type.GetAttributes())
            if (a.AttributeClass?.ToDisplayString() == Attribute && a.ConstructorArguments.Length == 2 && a.ConstructorArguments[0].Value is INamedTypeSymbol derived)
                yield return derived;
    }

    /// <summary>
    /// The declarations on <paramref name="type"/> in declaration order, or null when it has none. Each problem is reported
    /// at its attribute and sets <paramref name="failed"/>.
    /// </summary>
    public static List<Declaration>? Read(INamedTypeSymbol type, string display, Location? fallback, List<DiagnosticInfo> diagnostics, out bool failed)
    {
        failed = false;
        List<Declaration>? result = null;
        var types = new HashSet<INamedTypeSymbol>(SymbolEqualityComparer.Default);
        var discriminators = new Dictionary<string, string>(System.StringComparer.Ordinal);
        var tags = new Dictionary<int, string>();
        if (!type.IsAbstract) tags[FirstTag] = display + " itself";
        int position = 0;
        foreach (AttributeData a in type.GetAttributes())
        {
            if (a.AttributeClass?.ToDisplayString() != Attribute) continue;
            result ??= new List<Declaration>();
            position++;
            Location? at = a.ApplicationSyntaxReference?.GetSyntax().GetLocation() ?? fallback;
            // A declaration that does not compile (a missing argument, not a type) is the compiler's error already.
            if (a.ConstructorArguments.Length != 2 || a.ConstructorArguments[0].Value is not INamedTypeSymbol derived
                || a.ConstructorArguments[1].Value is not string discriminator)
            {
                failed = true;
                continue;
            }
            int pinned = 0;
            foreach (KeyValuePair<string, TypedConstant> named in a.NamedArguments)
                if (named.Key == "Tag" && named.Value.Value is int n) pinned = n;

            string derivedName = derived.ToDisplayString();
            string? problem = null;
            if (derived.IsUnboundGenericType) problem = "an open generic type has no fixed wire shape; name a closed one";
            else if (SymbolEqualityComparer.Default.Equals(derived, type)) problem = "it is the type itself, which travels as itself without a declaration (unless it is abstract)";
            else if (!DerivesFrom(derived, type)) problem = "it does not derive from '" + display + "'";
            else if (derived.IsAbstract) problem = "it is abstract, so no instance of it can be sent; declare its concrete derived types instead";
            else if (!types.Add(derived)) problem = "it is declared twice";
            if (problem is not null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidDerivedType, at, derivedName, display, problem));
                failed = true;
                continue;
            }

            bool ok = true;
            if (!s_discriminator.IsMatch(discriminator))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidDiscriminator, at, discriminator, derivedName, display,
                    "is not valid: it must start with a letter, then letters, digits or '_' (it also names the case in the .proto)"));
                ok = false;
            }
            else if (discriminators.TryGetValue(discriminator, out string? other))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidDiscriminator, at, discriminator, derivedName, display,
                    "is already the discriminator of '" + other + "'"));
                ok = false;
            }
            else
            {
                discriminators.Add(discriminator, derivedName);
            }

            int tag = pinned == 0 ? FirstTag + position : pinned;
            string tagText = tag.ToString(CultureInfo.InvariantCulture);
            if (tag < 1 || tag > 536_870_911)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidDerivedTypeTag, at, tagText, derivedName, display, "is out of range: use 1 to 536870911"));
                ok = false;
            }
            else if (tag >= 19_000 && tag <= 19_999)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidDerivedTypeTag, at, tagText, derivedName, display, "is reserved by Protocol Buffers (19000 to 19999)"));
                ok = false;
            }
            else if (tags.TryGetValue(tag, out string? owner))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidDerivedTypeTag, at, tagText, derivedName, display,
                    "is already the tag of '" + owner + "': pin another one with Tag"));
                ok = false;
            }
            else
            {
                tags.Add(tag, derivedName);
            }
            if (!ok)
            {
                failed = true;
                continue;
            }
            result.Add(new Declaration(derived, discriminator, tag, at));
        }
        return result;
    }

    private static bool DerivesFrom(INamedTypeSymbol derived, INamedTypeSymbol type)
    {
        for (INamedTypeSymbol? b = derived.BaseType; b is not null; b = b.BaseType)
            if (SymbolEqualityComparer.Default.Equals(b, type)) return true;
        return false;
    }
}
