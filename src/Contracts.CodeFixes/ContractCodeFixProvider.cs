using System.Collections.Immutable;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;

namespace SidecarKit.CodeFixes;

/// <summary>
/// What every SidecarKit code fix does alike: it fixes one generator diagnostic, finds the <typeparamref name="TNode"/>
/// the diagnostic is reported at, offers at most one action for it, and fixes all in batches. A fix says only which
/// action, if any, repairs a node.
/// </summary>
/// <typeparam name="TNode">The syntax the diagnostic is reported at (the innermost one around its start).</typeparam>
public abstract class ContractCodeFixProvider<TNode> : CodeFixProvider where TNode : SyntaxNode
{
    /// <summary>A fix of the diagnostic <paramref name="diagnosticId"/>.</summary>
    protected ContractCodeFixProvider(string diagnosticId) => FixableDiagnosticIds = ImmutableArray.Create(diagnosticId);

    /// <inheritdoc />
    public sealed override ImmutableArray<string> FixableDiagnosticIds { get; }

    /// <summary>Whether <see cref="CreateAction"/> needs the semantic model (it is not computed otherwise).</summary>
    protected virtual bool NeedsSemanticModel => true;

    /// <inheritdoc />
    public sealed override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public sealed override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        SemanticModel? model = NeedsSemanticModel ? await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false) : null;
        if (root is null || (NeedsSemanticModel && model is null)) return;
        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            if (FixSupport.FindAt<TNode>(root, diagnostic.Location.SourceSpan) is not { } node) continue;
            if (CreateAction(context.Document, root, model, node, context.CancellationToken) is { } action)
                context.RegisterCodeFix(action, diagnostic);
        }
    }

    /// <summary>
    /// The action that repairs <paramref name="node"/>, or <see langword="null"/> when there is no one obvious repair.
    /// <paramref name="model"/> is <see langword="null"/> unless <see cref="NeedsSemanticModel"/>.
    /// </summary>
    protected abstract CodeAction? CreateAction(Document document, SyntaxNode root, SemanticModel? model, TNode node, CancellationToken cancellationToken);
}
