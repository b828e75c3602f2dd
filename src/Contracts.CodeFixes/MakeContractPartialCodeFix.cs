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
public sealed class MakeContractPartialCodeFix : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(FixSupport.ContractNotPartial);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;
        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            InterfaceDeclarationSyntax? declaration = FixSupport.FindAt<InterfaceDeclarationSyntax>(root, diagnostic.Location.SourceSpan);
            if (declaration is null || declaration.Modifiers.Any(SyntaxKind.PartialKeyword)) continue;
            context.RegisterCodeFix(
                CodeAction.Create($"Make '{declaration.Identifier.ValueText}' partial",
                    ct => Fix(context.Document, root, declaration, ct), equivalenceKey: nameof(MakeContractPartialCodeFix)),
                diagnostic);
        }
    }

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
