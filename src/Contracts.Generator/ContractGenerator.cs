using System.Linq;
using Microsoft.CodeAnalysis;
using SidecarKit.Generator.Emitting;
using SidecarKit.Generator.Model;
using SidecarKit.Generator.Parsing;

namespace SidecarKit.Generator;

/// <summary>
/// The incremental generator: for each <c>[SidecarContract]</c> interface it emits the proxy, dispatcher, args and
/// codecs (see <see cref="ContractEmitter"/>) or reports why it cannot.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class ContractGenerator : IIncrementalGenerator
{
    /// <summary>The tracking name of the parse step, asserted by the caching tests.</summary>
    public const string ParseStep = "SidecarContracts";

    /// <summary>The tracking name of the step that reads each contract's name for the check across contracts.</summary>
    public const string IdentityStep = "SidecarContractNames";

    /// <summary>The tracking name of the step that finds the contracts whose name another contract already has.</summary>
    public const string DuplicatesStep = "SidecarContractDuplicates";

    /// <summary>The tracking name of the step that reads each class with a base class (for SK0021).</summary>
    public const string DerivedTypesStep = "SidecarDerivedTypes";

    /// <summary>The tracking name of the step that finds the derived types of the classes the contracts send (SK0021).</summary>
    public const string TruncatedStep = "SidecarTruncatedTypes";

    /// <summary>The tracking name of the step that keeps only the models to emit (no diagnostics, no positions).</summary>
    public const string ModelStep = "SidecarContractModels";

    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<ParseResult> contracts = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                ContractParser.ContractAttribute,
                static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.InterfaceDeclarationSyntax,
                static (ctx, ct) => ContractParser.Parse(ctx, ct))
            .WithTrackingName(ParseStep);

        // Across contracts: two with one wire name (SK0017). A separate, cheap pipeline that reads only the name and
        // its position, so the per-contract parse result stays free of positions and stays cached; its collected
        // result is reduced to the (usually empty) list of duplicates before it meets the per-contract results, so an
        // edit to one contract does not re-emit the others.
        IncrementalValueProvider<EquatableArray<DuplicateContract>> duplicates = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                ContractParser.ContractAttribute,
                static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.InterfaceDeclarationSyntax,
                static (ctx, ct) => ContractParser.ParseIdentity(ctx, ct))
            .WithTrackingName(IdentityStep)
            .Where(static identity => identity is not null)
            .Collect()
            .Select(static (identities, _) => FindDuplicates(identities!))
            .WithTrackingName(DuplicatesStep);

        context.RegisterSourceOutput(duplicates, static (spc, duplicateNames) =>
        {
            foreach (DuplicateContract duplicate in duplicateNames)
                spc.ReportDiagnostic(duplicate.Diagnostic.ToDiagnostic());
        });

        // Across the compilation: a class deriving from one a contract sends (SK0021). A semantic transform (the base
        // classes need binding), so Roslyn runs it again for each class with a base list on every edit; it is one
        // GetDeclaredSymbol and a walk up the base chain, and its output is plain values, equal unless a class's bases or
        // name position changed, so the steps after it stay cached.
        IncrementalValueProvider<EquatableArray<DiagnosticInfo>> truncated = context.SyntaxProvider
            .CreateSyntaxProvider(DerivedTypes.IsCandidate, static (ctx, ct) => DerivedTypes.Parse(ctx, ct))
            .WithTrackingName(DerivedTypesStep)
            .Where(static derived => derived is not null)
            .Collect()
            .Combine(contracts.Select(static (result, _) => result.OpenTypes).Collect())
            .Select(static (pair, _) => DerivedTypes.Find(pair.Left!, pair.Right))
            .WithTrackingName(TruncatedStep);
        context.RegisterSourceOutput(truncated, static (spc, diagnostics) =>
        {
            foreach (DiagnosticInfo diagnostic in diagnostics)
                spc.ReportDiagnostic(diagnostic.ToDiagnostic());
        });

        // Diagnostics and code apart: a contract's diagnostics (infos and warnings included) carry positions, which
        // move with every edit above them; the model does not, so the emitted code stays cached across such edits.
        context.RegisterSourceOutput(contracts.Select(static (result, _) => result.Diagnostics), static (spc, diagnostics) =>
        {
            foreach (DiagnosticInfo diagnostic in diagnostics)
                spc.ReportDiagnostic(diagnostic.ToDiagnostic());
        });

        IncrementalValuesProvider<ContractModel> models = contracts
            .Where(static result => result.Model is not null)
            .Select(static (result, _) => result.Model!)
            .WithTrackingName(ModelStep);
        context.RegisterSourceOutput(models.Combine(duplicates), static (spc, pair) =>
        {
            (ContractModel model, EquatableArray<DuplicateContract> duplicateNames) = pair;
            // A contract whose name an earlier contract has (SK0017, reported above) gets no code, like any contract with an error.
            if (!duplicateNames.Any(d => d.FullyQualifiedName == model.FullyQualifiedName))
                spc.AddSource(ContractEmitter.HintName(model), ContractEmitter.Emit(model));
        });
    }

    /// <summary>SK0017 for every contract whose wire name a contract before it (in compilation order) already has.</summary>
    private static EquatableArray<DuplicateContract> FindDuplicates(System.Collections.Immutable.ImmutableArray<ContractIdentity> identities)
    {
        var first = new System.Collections.Generic.Dictionary<string, ContractIdentity>(System.StringComparer.Ordinal);
        var duplicates = new System.Collections.Generic.List<DuplicateContract>();
        foreach (ContractIdentity identity in identities)
        {
            if (first.TryGetValue(identity.WireName, out ContractIdentity? earlier))
                duplicates.Add(identity.DuplicateOf(earlier));
            else
                first.Add(identity.WireName, identity);
        }
        return duplicates.ToEquatableArray();
    }
}
