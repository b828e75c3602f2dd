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
/// SK0005, a synchronous result: <c>int Count(…)</c> becomes <c>Task&lt;int&gt; Count(…)</c> (the wire name is unchanged).
/// Not offered for what cannot be a <c>Task&lt;T&gt;</c>'s result (ref returns, pointers, ref structs) or is already
/// awaitable (an <c>IAsyncEnumerator&lt;T&gt;</c>, a custom task type): those have no one obvious repair.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(TaskReturnCodeFix)), Shared]
public sealed class TaskReturnCodeFix : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(FixSupport.UnsupportedReturnType);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        SemanticModel? model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null) return;
        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            MethodDeclarationSyntax? declaration = FixSupport.FindAt<MethodDeclarationSyntax>(root, diagnostic.Location.SourceSpan);
            if (declaration is null || !CanWrap(declaration.ReturnType, model.GetTypeInfo(declaration.ReturnType, context.CancellationToken).Type)) continue;
            string type = declaration.ReturnType.WithoutTrivia().ToString();
            context.RegisterCodeFix(
                CodeAction.Create($"Return 'Task<{type}>'", ct => Fix(context.Document, root, declaration), equivalenceKey: nameof(TaskReturnCodeFix)),
                diagnostic);
        }
    }

    private static bool CanWrap(TypeSyntax syntax, ITypeSymbol? type)
    {
        if (syntax is RefTypeSyntax or PointerTypeSyntax or FunctionPointerTypeSyntax) return false;
        if (type is null || type.TypeKind is TypeKind.Error or TypeKind.Pointer or TypeKind.FunctionPointer || type.SpecialType == SpecialType.System_Void) return false;
        if (type.IsRefLikeType) return false;
        // Already asynchronous in some other shape (a custom awaitable, an IAsyncEnumerator<T>): no obvious repair.
        if (type.GetMembers("GetAwaiter").Any() || type.AllInterfaces.Concat(new[] { type }).OfType<INamedTypeSymbol>()
                .Any(i => i.OriginalDefinition.ToDisplayString() == "System.Collections.Generic.IAsyncEnumerator<T>"))
            return false;
        return true;
    }

    private static Task<Document> Fix(Document document, SyntaxNode root, MethodDeclarationSyntax declaration)
    {
        TypeSyntax old = declaration.ReturnType;
        TypeSyntax task = SyntaxFactory.QualifiedName(
                SyntaxFactory.ParseName("System.Threading.Tasks"),
                SyntaxFactory.GenericName(SyntaxFactory.Identifier("Task"),
                    SyntaxFactory.TypeArgumentList(SyntaxFactory.SingletonSeparatedList(old.WithoutTrivia()))))
            .WithTriviaFrom(old)
            .WithAdditionalAnnotations(Simplifier.Annotation);
        return Task.FromResult(document.WithSyntaxRoot(root.ReplaceNode(declaration, declaration.WithReturnType(task))));
    }
}
