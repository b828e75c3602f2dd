using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace SidecarKit.CodeFixes;

/// <summary>What the code fixes share: the ids they fix, finding the reported node, and the document's line ending.</summary>
internal static class FixSupport
{
    public const string ContractNotPartial = "SK0001";
    public const string InvalidContractName = "SK0004";
    public const string UnsupportedReturnType = "SK0005";
    public const string MisplacedCancellationToken = "SK0008";
    public const string DuplicateWireName = "SK0009";
    public const string MissingCancellationToken = "SK0019";

    public const string ContractAttribute = "SidecarKit.SidecarContractAttribute";
    public const string MethodAttribute = "SidecarKit.SidecarMethodAttribute";

    /// <summary>The innermost <typeparamref name="T"/> around the start of the reported span (the generator reports at names).</summary>
    public static T? FindAt<T>(SyntaxNode root, TextSpan span) where T : SyntaxNode
        => root.FindToken(span.Start).Parent?.AncestorsAndSelf().OfType<T>().FirstOrDefault();

    /// <summary>The line ending the document already uses.</summary>
    public static SyntaxTrivia EndOfLine(SyntaxNode root)
        => root.DescendantTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia)) is { } eol && eol.IsKind(SyntaxKind.EndOfLineTrivia)
            ? eol
            : SyntaxFactory.EndOfLine("\n");

    public static bool IsCancellationToken(ITypeSymbol? type)
        => type?.ToDisplayString() == "System.Threading.CancellationToken";
}
