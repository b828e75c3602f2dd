using Microsoft.CodeAnalysis.Text;

namespace SidecarKit.Generator.Model;

/// <summary>
/// A contract's wire name and where its <c>[SidecarContract]</c> attribute is, as plain values: collected across all
/// contracts of a compilation to find two with the same name (SK0017).
/// </summary>
internal sealed record ContractIdentity(string WireName, string FullyQualifiedName, string DisplayName, string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    /// <summary>SK0017 at this contract's attribute, naming the contract that has the name first.</summary>
    public DuplicateContract DuplicateOf(ContractIdentity first)
        => new(FullyQualifiedName, new DiagnosticInfo(DiagnosticDescriptors.DuplicateContractName.Id, FilePath, Span, LineSpan,
            new[] { first.DisplayName, DisplayName, WireName }.ToEquatableArray()));
}

/// <summary>A contract (by <see cref="ContractModel.FullyQualifiedName"/>) whose wire name an earlier contract has, and its SK0017.</summary>
internal sealed record DuplicateContract(string FullyQualifiedName, DiagnosticInfo Diagnostic);
