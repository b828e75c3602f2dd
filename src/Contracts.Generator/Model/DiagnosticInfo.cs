using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace SidecarKit.Generator.Model;

/// <summary>A diagnostic kept as plain values (no <see cref="Location"/> tied to a compilation), so it can live in the cached model.</summary>
internal sealed record DiagnosticInfo(string Id, string FilePath, TextSpan Span, LinePositionSpan LineSpan, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, Location? location, params string[] arguments)
    {
        Location loc = location ?? Location.None;
        return new DiagnosticInfo(descriptor.Id, loc.SourceTree?.FilePath ?? "", loc.SourceSpan, loc.GetLineSpan().Span, arguments.ToEquatableArray());
    }

    public Diagnostic ToDiagnostic()
    {
        DiagnosticDescriptor descriptor = DiagnosticDescriptors.ById(Id);
        Location location = FilePath.Length == 0 ? Location.None : Location.Create(FilePath, Span, LineSpan);
        object[] args = new object[Arguments.Count];
        for (int i = 0; i < args.Length; i++) args[i] = Arguments[i];
        return Diagnostic.Create(descriptor, location, args);
    }
}

/// <summary>
/// What parsing one contract produced: a model to emit (when there were no errors), diagnostics, and the classes it sends
/// or receives that are not sealed (for SK0021 across the compilation).
/// </summary>
internal sealed record ParseResult(ContractModel? Model, EquatableArray<DiagnosticInfo> Diagnostics, EquatableArray<OpenWireType> OpenTypes);
