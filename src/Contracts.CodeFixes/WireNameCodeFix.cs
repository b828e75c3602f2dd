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
using Microsoft.CodeAnalysis.Simplification;
using SidecarKit.Generator.Parsing;

namespace SidecarKit.CodeFixes;

/// <summary>
/// SK0009: gives the reported method (an overload, or any method whose wire name another one already has) its own wire
/// name with <c>[SidecarMethod("…")]</c>: the name it has now with the smallest number (2, 3, …) that no other method of
/// the contract uses, the n-th method with that name starting at n, so that fixing all of them at once gives each its own.
/// An existing <c>[SidecarMethod]</c> gets the name as its first argument (replacing the one it had).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(WireNameCodeFix)), Shared]
public sealed class WireNameCodeFix : ContractCodeFixProvider<MethodDeclarationSyntax>
{
    /// <summary>Creates the fix.</summary>
    public WireNameCodeFix() : base(FixSupport.DuplicateWireName) { }

    /// <inheritdoc />
    protected override CodeAction? CreateAction(Document document, SyntaxNode root, SemanticModel? model, MethodDeclarationSyntax declaration, CancellationToken cancellationToken)
    {
        if (model!.GetDeclaredSymbol(declaration, cancellationToken) is not { } method || NewName(method) is not { } name) return null;
        return CodeAction.Create($"Give '{method.Name}' its own wire name '{name}'",
            ct => Fix(document, root, model!, declaration, name, ct), equivalenceKey: nameof(WireNameCodeFix));
    }

    /// <summary>The name to write into <c>[SidecarMethod("…")]</c>, or null when the method is not in a contract.</summary>
    internal static string? NewName(IMethodSymbol method)
    {
        INamedTypeSymbol contract = method.ContainingType;
        AttributeData? attribute = contract.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == FixSupport.ContractAttribute);
        if (attribute is null) return null;
        string contractName = attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is string s ? s : "";

        // The inherited methods too, first, as the generator lists them (IDisposable and IAsyncDisposable are not remote).
        var methods = InheritedFirst(contract).SelectMany(i => i.GetMembers().OfType<IMethodSymbol>())
            .Where(m => m.MethodKind == MethodKind.Ordinary && !m.IsStatic && m.IsAbstract && !m.IsImplicitlyDeclared).ToList();
        string wireName = WireName(method, contractName);
        var taken = new HashSet<string>(methods.Where(m => !SymbolEqualityComparer.Default.Equals(m, method)).Select(m => WireName(m, contractName)));
        // The n-th method (in declaration order) with this wire name starts at n: fixing all at once gives each its own.
        int n = System.Math.Max(2, methods.Where(m => WireName(m, contractName) == wireName).ToList()
            .FindIndex(m => SymbolEqualityComparer.Default.Equals(m, method)) + 1);
        string prefix = contractName + ".";
        string local = wireName.StartsWith(prefix, System.StringComparison.Ordinal) ? wireName.Substring(prefix.Length) : wireName;
        while (taken.Contains(Full(local + n, contractName))) n++;
        return local + n;
    }

    /// <summary>The contract's base interfaces whose methods join it (each after its own bases), then the contract.</summary>
    private static List<INamedTypeSymbol> InheritedFirst(INamedTypeSymbol contract)
    {
        var order = new List<INamedTypeSymbol>();
        var seen = new HashSet<INamedTypeSymbol>(SymbolEqualityComparer.Default);
        void Visit(INamedTypeSymbol i)
        {
            if (!seen.Add(i) || i.IsGenericType || i.ToDisplayString() is "System.IDisposable" or "System.IAsyncDisposable") return;
            foreach (INamedTypeSymbol b in i.Interfaces) Visit(b);
            order.Add(i);
        }
        Visit(contract);
        return order;
    }

    /// <summary>The generator's rule (src/Contracts.Generator/Parsing/ContractParser.cs): a method's full wire name.</summary>
    private static string WireName(IMethodSymbol method, string contractName)
    {
        string wireName = contractName + "." + Naming.MethodWireName(method.Name);
        foreach (AttributeData a in method.GetAttributes())
        {
            if (a.AttributeClass?.ToDisplayString() != FixSupport.MethodAttribute) continue;
            if (a.ConstructorArguments.Length == 1 && a.ConstructorArguments[0].Value is string custom)
                wireName = Full(custom, contractName);
        }
        return wireName;
    }

    private static string Full(string name, string contractName)
        => name.Contains(".") || name.StartsWith("$/", System.StringComparison.Ordinal) ? name : contractName + "." + name;

    private static Task<Document> Fix(Document document, SyntaxNode root, SemanticModel model, MethodDeclarationSyntax declaration, string name, CancellationToken cancellationToken)
    {
        AttributeArgumentSyntax argument = SyntaxFactory.AttributeArgument(
            SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(name)));

        AttributeSyntax? existing = declaration.AttributeLists.SelectMany(l => l.Attributes).FirstOrDefault(a =>
            (model.GetSymbolInfo(a, cancellationToken).Symbol as IMethodSymbol)?.ContainingType.ToDisplayString() == FixSupport.MethodAttribute);
        MethodDeclarationSyntax fixedDeclaration;
        if (existing is not null)
        {
            AttributeArgumentListSyntax arguments = existing.ArgumentList ?? SyntaxFactory.AttributeArgumentList();
            AttributeArgumentSyntax? positional = arguments.Arguments.FirstOrDefault(a => a.NameEquals is null && a.NameColon is null);
            arguments = positional is not null
                ? arguments.ReplaceNode(positional, argument.WithTriviaFrom(positional))
                : arguments.WithArguments(arguments.Arguments.Insert(0, argument));
            fixedDeclaration = declaration.ReplaceNode(existing, existing.WithArgumentList(arguments));
        }
        else
        {
            AttributeListSyntax list = SyntaxFactory.AttributeList(SyntaxFactory.SingletonSeparatedList(
                SyntaxFactory.Attribute(SyntaxFactory.ParseName("SidecarKit.SidecarMethod").WithAdditionalAnnotations(Simplifier.Annotation),
                    SyntaxFactory.AttributeArgumentList(SyntaxFactory.SingletonSeparatedList(argument)))));
            SyntaxTriviaList leading = declaration.GetLeadingTrivia();
            bool ownLine = leading.Any(SyntaxKind.EndOfLineTrivia)
                || declaration.GetFirstToken().GetPreviousToken().TrailingTrivia.Any(SyntaxKind.EndOfLineTrivia);
            SyntaxTriviaList trailing = ownLine
                ? SyntaxFactory.TriviaList(FixSupport.EndOfLine(root)).AddRange(leading.Reverse().TakeWhile(t => t.IsKind(SyntaxKind.WhitespaceTrivia)).Reverse())
                : SyntaxFactory.TriviaList(SyntaxFactory.Space);
            list = list.WithLeadingTrivia(leading).WithTrailingTrivia(trailing);
            MethodDeclarationSyntax bare = declaration.WithoutLeadingTrivia();
            fixedDeclaration = bare.WithAttributeLists(bare.AttributeLists.Insert(0, list));
        }
        return Task.FromResult(document.WithSyntaxRoot(root.ReplaceNode(declaration, fixedDeclaration)));
    }
}
