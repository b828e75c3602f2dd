using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SidecarKit.CodeFixes;

/// <summary>SK0001: adds <c>partial</c> to the contract interface (last among its modifiers, right before <c>interface</c>).</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MakeContractPartialCodeFix)), Shared]
public sealed class MakeContractPartialCodeFix : ContractCodeFixProvider<InterfaceDeclarationSyntax>
{
    /// <summary>Creates the fix.</summary>
    public MakeContractPartialCodeFix() : base(FixSupport.ContractNotPartial) { }

    /// <inheritdoc />
    protected override bool NeedsSemanticModel => false;

    /// <inheritdoc />
    protected override CodeAction? CreateAction(Document document, SyntaxNode root, SemanticModel? model, InterfaceDeclarationSyntax declaration, CancellationToken cancellationToken)
        => declaration.Modifiers.Any(SyntaxKind.PartialKeyword)
            ? null
            : CodeAction.Create($"Make '{declaration.Identifier.ValueText}' partial",
                ct => Fix(document, root, declaration, ct), equivalenceKey: nameof(MakeContractPartialCodeFix));

    private static Task<Document> Fix(Document document, SyntaxNode root, InterfaceDeclarationSyntax declaration, CancellationToken cancellationToken)
    {
        SyntaxToken keyword = declaration.Keyword;
        SyntaxToken partial = SyntaxFactory.Token(SyntaxKind.PartialKeyword).WithTrailingTrivia(SyntaxFactory.Space);
        if (declaration.Modifiers.Count == 0)
        {
            // The indentation (and any comment) in front of 'interface' moves in front of 'partial'.
            partial = partial.WithLeadingTrivia(keyword.LeadingTrivia);
            keyword = keyword.WithLeadingTrivia();
        }
        InterfaceDeclarationSyntax fixedDeclaration = declaration.WithKeyword(keyword).WithModifiers(declaration.Modifiers.Add(partial));
        return Task.FromResult(document.WithSyntaxRoot(root.ReplaceNode(declaration, fixedDeclaration)));
    }
}
