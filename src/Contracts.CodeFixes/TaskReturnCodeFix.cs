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
public sealed class TaskReturnCodeFix : ContractCodeFixProvider<MethodDeclarationSyntax>
{
    /// <summary>Creates the fix.</summary>
    public TaskReturnCodeFix() : base(FixSupport.UnsupportedReturnType) { }

    /// <inheritdoc />
    protected override CodeAction? CreateAction(Document document, SyntaxNode root, SemanticModel? model, MethodDeclarationSyntax declaration, CancellationToken cancellationToken)
    {
        if (!CanWrap(declaration.ReturnType, model!.GetTypeInfo(declaration.ReturnType, cancellationToken).Type)) return null;
        string type = declaration.ReturnType.WithoutTrivia().ToString();
        return CodeAction.Create($"Return 'Task<{type}>'", ct => Fix(document, root, declaration), equivalenceKey: nameof(TaskReturnCodeFix));
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
