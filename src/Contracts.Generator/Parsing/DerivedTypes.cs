using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using SidecarKit.Generator.Model;

namespace SidecarKit.Generator.Parsing;

/// <summary>
/// SK0021: a class of the compilation that derives from a class a contract sends or receives, which does not declare it
/// with <c>[SidecarDerivedType]</c>. The generated codecs write the declared type's members only (or, for a polymorphic
/// base, those of its declared cases), so such an instance cannot travel as that base: a build error at the derived type.
/// Every base on the way up that a contract sends must declare it (hierarchies are flattened onto the declared type). (A
/// derived type in another compilation, one that references the contract's, cannot be seen here: SK0020 at the base type
/// is the warning for that case, and the codec refuses the instance at run time.)
/// </summary>
internal static class DerivedTypes
{
    /// <summary>A syntactic first cut: class and record class declarations with a base list.</summary>
    public static bool IsCandidate(SyntaxNode node, CancellationToken _)
        => node is ClassDeclarationSyntax { BaseList: not null }
            || node is RecordDeclarationSyntax { BaseList: not null } record && !record.ClassOrStructKeyword.IsKind(SyntaxKind.StructKeyword);

    /// <summary>The declared class and its base classes (nearest first), or null when it derives from no class but object.</summary>
    public static DerivedType? Parse(GeneratorSyntaxContext context, CancellationToken cancellationToken)
    {
        // An abstract class has no instance of its own to send: only its concrete derived types need declaring.
        if (context.SemanticModel.GetDeclaredSymbol(context.Node, cancellationToken) is not INamedTypeSymbol { TypeKind: TypeKind.Class, IsAbstract: false } type)
            return null;
        var bases = new List<string>();
        var baseNames = new List<string>();
        for (INamedTypeSymbol? b = type.BaseType; b is not null && b.SpecialType != SpecialType.System_Object; b = b.BaseType)
        {
            bases.Add(TypeResolver.Display(b));
            baseNames.Add(b.ToDisplayString());
        }
        if (bases.Count == 0) return null;
        Location location = ((BaseTypeDeclarationSyntax)context.Node).Identifier.GetLocation();
        return new DerivedType(TypeResolver.Display(type), type.ToDisplayString(), bases.ToEquatableArray(), baseNames.ToEquatableArray(),
            location.SourceTree?.FilePath ?? "", location.SourceSpan, location.GetLineSpan().Span);
    }

    /// <summary>SK0021 for each derived class (once, even when partial) of a class that a contract sends or receives.</summary>
    public static EquatableArray<DiagnosticInfo> Find(ImmutableArray<DerivedType> derived, ImmutableArray<EquatableArray<OpenWireType>> openTypes)
    {
        var open = new Dictionary<string, OpenWireType>(System.StringComparer.Ordinal);
        foreach (EquatableArray<OpenWireType> contractTypes in openTypes)
            foreach (OpenWireType t in contractTypes)
                if (!open.ContainsKey(t.Key)) open.Add(t.Key, t);
        if (open.Count == 0) return EquatableArray<DiagnosticInfo>.Empty;

        var reported = new HashSet<string>(System.StringComparer.Ordinal);
        var diagnostics = new List<DiagnosticInfo>();
        foreach (DerivedType type in derived)
        {
            for (int i = 0; i < type.Bases.Count; i++)
            {
                if (!open.TryGetValue(type.Bases[i], out OpenWireType? wire) || wire.Declared.Contains(type.Key)) continue;
                if (reported.Add(type.Key)) diagnostics.Add(type.TruncatedAs(wire, type.BaseDisplayNames[i]));
                break;
            }
        }
        return diagnostics.ToEquatableArray();
    }
}
