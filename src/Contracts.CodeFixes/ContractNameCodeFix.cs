using System.Composition;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using SidecarKit.Generator.Parsing;

namespace SidecarKit.CodeFixes;

/// <summary>
/// SK0004: names the contract with a valid name in place of the literal in <c>[SidecarContract("…")]</c>: the name it has,
/// with each run of characters a name cannot have turned into one <c>-</c> and anything before its first letter dropped
/// (<c>image.resize</c> → <c>image-resize</c>); or, when nothing usable is left or the name is reserved, the interface's
/// name without its <c>I</c> prefix, camelCased (<c>IImageResizer</c> → <c>imageResizer</c>). Offered only for a string
/// literal: a constant is fixed where it is declared.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ContractNameCodeFix)), Shared]
public sealed class ContractNameCodeFix : ContractCodeFixProvider<AttributeSyntax>
{
    /// <summary>Creates the fix.</summary>
    public ContractNameCodeFix() : base(FixSupport.InvalidContractName) { }

    /// <inheritdoc />
    protected override bool NeedsSemanticModel => false;

    /// <inheritdoc />
    protected override CodeAction? CreateAction(Document document, SyntaxNode root, SemanticModel? model, AttributeSyntax attribute, CancellationToken cancellationToken)
    {
        if (attribute.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals is null) is not { Expression: LiteralExpressionSyntax { RawKind: (int)SyntaxKind.StringLiteralExpression } literal }
            || attribute.Parent?.Parent is not InterfaceDeclarationSyntax contract)
            return null;
        string name = NewName(literal.Token.ValueText, contract.Identifier.ValueText);
        return CodeAction.Create($"Name the contract '{name}'", ct =>
        {
            LiteralExpressionSyntax named = SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(name)).WithTriviaFrom(literal);
            return Task.FromResult(document.WithSyntaxRoot(root.ReplaceNode(literal, named)));
        }, equivalenceKey: nameof(ContractNameCodeFix));
    }

    /// <summary>A valid contract name (<c>^[A-Za-z][A-Za-z0-9_-]*$</c>, not reserved) for the given one on the interface.</summary>
    internal static string NewName(string name, string interfaceName)
    {
        var sb = new StringBuilder(name.Length);
        foreach (char c in name)
        {
            bool allowed = c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '-';
            if (sb.Length == 0 && !(c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z'))) continue; // starts with a letter
            if (allowed) sb.Append(c);
            else if (sb[sb.Length - 1] != '-') sb.Append('-');
        }
        string sanitized = sb.ToString().TrimEnd('-');
        if (sanitized.Length > 0 && !Naming.IsReservedContractName(sanitized)) return sanitized;

        string bare = interfaceName.Length > 1 && interfaceName[0] == 'I' && char.IsUpper(interfaceName[1]) ? interfaceName.Substring(1) : interfaceName;
        string fromInterface = Naming.CamelCase(new string(bare.Where(c => c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_').ToArray()).TrimStart('_', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'));
        return fromInterface.Length > 0 && !Naming.IsReservedContractName(fromInterface) ? fromInterface : "contract";
    }
}
