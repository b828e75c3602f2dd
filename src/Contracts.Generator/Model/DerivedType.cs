using Microsoft.CodeAnalysis.Text;

namespace SidecarKit.Generator.Model;

/// <summary>
/// A class of the compilation that derives from another class, as plain values: its base classes (nearest first, as
/// <see cref="Parsing.TypeResolver.Display"/> writes them) and where its name is declared. Collected to find derived
/// types of the classes a contract sends (SK0021).
/// </summary>
internal sealed record DerivedType(string Key, string DisplayName, EquatableArray<string> Bases, EquatableArray<string> BaseDisplayNames,
    string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    /// <summary>SK0021 at this type's name: it derives from <paramref name="open"/>, which a contract sends or receives.</summary>
    public DiagnosticInfo TruncatedAs(OpenWireType open, string baseDisplayName)
        => new(DiagnosticDescriptors.TruncatedDerivedType.Id, FilePath, Span, LineSpan,
            new[] { DisplayName, baseDisplayName, open.Contract }.ToEquatableArray());
}

/// <summary>
/// A class that is not sealed and that a contract (by display name) sends or receives, with the derived types it declares
/// (<c>[SidecarDerivedType]</c>, as <see cref="Parsing.TypeResolver.Display"/> writes them): those may be sent as it.
/// </summary>
internal sealed record OpenWireType(string Key, string Contract, EquatableArray<string> Declared = default);
