using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SidecarKit.CodeFixes;

/// <summary>
/// SK0008, both of its cases: a method's only <c>CancellationToken</c> that is not the last parameter moves last (and gets
/// <c>= default</c> when a parameter before it has a default value, which C# requires); the token of a <c>void</c> method
/// (a one-way notification cannot be cancelled), or the first of two tokens, is removed.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CancellationTokenCodeFix)), Shared]
public sealed class CancellationTokenCodeFix : ContractCodeFixProvider<ParameterSyntax>
{
    private const string MoveKey = nameof(CancellationTokenCodeFix) + ".Move";
    private const string RemoveKey = nameof(CancellationTokenCodeFix) + ".Remove";

    /// <summary>Creates the fix.</summary>
    public CancellationTokenCodeFix() : base(FixSupport.MisplacedCancellationToken) { }

    /// <inheritdoc />
    protected override CodeAction? CreateAction(Document document, SyntaxNode root, SemanticModel? model, ParameterSyntax parameter, CancellationToken cancellationToken)
    {
        if (parameter.Parent is not ParameterListSyntax list || list.Parent is not MethodDeclarationSyntax method) return null;
        if (!FixSupport.IsCancellationToken(model!.GetDeclaredSymbol(parameter, cancellationToken)?.Type)) return null;
        int tokens = list.Parameters.Count(p => FixSupport.IsCancellationToken(model.GetDeclaredSymbol(p, cancellationToken)?.Type));
        bool returnsVoid = method.ReturnType is PredefinedTypeSyntax { Keyword.RawKind: (int)SyntaxKind.VoidKeyword };
        string name = parameter.Identifier.ValueText;

        if (returnsVoid || tokens > 1)
            return CodeAction.Create($"Remove the CancellationToken '{name}'",
                ct => Task.FromResult(document.WithSyntaxRoot(root.ReplaceNode(list, Remove(list, parameter)))), RemoveKey);
        if (list.Parameters.Last() != parameter && !list.Parameters.Any(p => p.Modifiers.Any(SyntaxKind.ParamsKeyword)))
            return CodeAction.Create($"Move the CancellationToken '{name}' last",
                ct => Task.FromResult(document.WithSyntaxRoot(root.ReplaceNode(list, MoveLast(list, parameter)))), MoveKey);
        return null;
    }

    private static ParameterListSyntax MoveLast(ParameterListSyntax list, ParameterSyntax token)
    {
        var reordered = list.Parameters.Where(p => p != token).ToList();
        ParameterSyntax moved = token;
        if (moved.Default is null && reordered.Any(p => p.Default is not null))
            moved = moved.WithIdentifier(moved.Identifier.WithTrailingTrivia())
                .WithDefault(SyntaxFactory.EqualsValueClause(
                    SyntaxFactory.Token(SyntaxKind.EqualsToken).WithLeadingTrivia(SyntaxFactory.Space).WithTrailingTrivia(SyntaxFactory.Space),
                    SyntaxFactory.LiteralExpression(SyntaxKind.DefaultLiteralExpression, SyntaxFactory.Token(SyntaxKind.DefaultKeyword)))
                    .WithTrailingTrivia(token.Identifier.TrailingTrivia));
        reordered.Add(moved);
        return list.WithParameters(Positional(list.Parameters, reordered));
    }

    private static ParameterListSyntax Remove(ParameterListSyntax list, ParameterSyntax token)
    {
        var rest = list.Parameters.Where(p => p != token).ToList();
        // The layout stays where it was: the remaining parameters take the first positions' trivia and separators.
        SeparatedSyntaxList<ParameterSyntax> old = list.Parameters;
        var nodes = new List<ParameterSyntax>();
        for (int i = 0; i < rest.Count; i++)
            nodes.Add(rest[i].WithLeadingTrivia(old[i].GetLeadingTrivia()).WithTrailingTrivia(rest.Count == 1 || i == rest.Count - 1 ? old[old.Count - 1].GetTrailingTrivia() : old[i].GetTrailingTrivia()));
        return list.WithParameters(SyntaxFactory.SeparatedList(nodes, old.GetSeparators().Take(System.Math.Max(0, nodes.Count - 1))));
    }

    /// <summary>The parameters in their new order, each with the trivia of the position it takes, and the old separators.</summary>
    private static SeparatedSyntaxList<ParameterSyntax> Positional(SeparatedSyntaxList<ParameterSyntax> old, List<ParameterSyntax> reordered)
    {
        var nodes = new List<ParameterSyntax>();
        for (int i = 0; i < reordered.Count; i++)
            nodes.Add(reordered[i].WithLeadingTrivia(old[i].GetLeadingTrivia()).WithTrailingTrivia(old[i].GetTrailingTrivia()));
        return SyntaxFactory.SeparatedList(nodes, old.GetSeparators());
    }
}
