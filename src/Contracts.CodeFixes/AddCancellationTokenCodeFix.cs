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
using Microsoft.CodeAnalysis.Simplification;

namespace SidecarKit.CodeFixes;

/// <summary>
/// SK0019: a request without a <c>CancellationToken</c> gets one, last, with <c>= default</c> so that every existing call
/// still compiles (<c>CancellationToken cancellationToken = default</c>; <c>ct</c> if that name is taken). Not offered
/// when the method ends with a <c>params</c> parameter, which must stay last.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AddCancellationTokenCodeFix)), Shared]
public sealed class AddCancellationTokenCodeFix : ContractCodeFixProvider<MethodDeclarationSyntax>
{
    /// <summary>Creates the fix.</summary>
    public AddCancellationTokenCodeFix() : base(FixSupport.MissingCancellationToken) { }

    /// <inheritdoc />
    protected override bool NeedsSemanticModel => false;

    /// <inheritdoc />
    protected override CodeAction? CreateAction(Document document, SyntaxNode root, SemanticModel? model, MethodDeclarationSyntax method, CancellationToken cancellationToken)
        => method.ParameterList.Parameters.Any(p => p.Modifiers.Any(SyntaxKind.ParamsKeyword))
            ? null
            : CodeAction.Create("Add a CancellationToken",
                ct => Task.FromResult(document.WithSyntaxRoot(root.ReplaceNode(method.ParameterList, WithToken(method.ParameterList)))),
                nameof(AddCancellationTokenCodeFix));

    private static ParameterListSyntax WithToken(ParameterListSyntax list)
    {
        string name = list.Parameters.Any(p => p.Identifier.ValueText == "cancellationToken") ? "ct" : "cancellationToken";
        ParameterSyntax token = SyntaxFactory.Parameter(SyntaxFactory.Identifier(name))
            .WithType(SyntaxFactory.ParseTypeName("System.Threading.CancellationToken")
                .WithAdditionalAnnotations(Simplifier.Annotation)
                .WithTrailingTrivia(SyntaxFactory.Space))
            .WithDefault(SyntaxFactory.EqualsValueClause(
                SyntaxFactory.Token(SyntaxKind.EqualsToken).WithLeadingTrivia(SyntaxFactory.Space).WithTrailingTrivia(SyntaxFactory.Space),
                SyntaxFactory.LiteralExpression(SyntaxKind.DefaultLiteralExpression, SyntaxFactory.Token(SyntaxKind.DefaultKeyword))));
        if (list.Parameters.Count == 0) return list.AddParameters(token);
        // After the last parameter on the same line: ", CancellationToken cancellationToken = default".
        SeparatedSyntaxList<ParameterSyntax> parameters = list.Parameters;
        ParameterSyntax last = parameters.Last();
        var nodes = parameters.Take(parameters.Count - 1).ToList();
        nodes.Add(last.WithTrailingTrivia());
        nodes.Add(token.WithTrailingTrivia(last.GetTrailingTrivia()));
        var separators = parameters.GetSeparators().ToList();
        separators.Add(SyntaxFactory.Token(SyntaxKind.CommaToken).WithTrailingTrivia(SyntaxFactory.Space));
        return list.WithParameters(SyntaxFactory.SeparatedList(nodes, separators));
    }
}
