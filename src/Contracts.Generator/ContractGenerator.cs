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

    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<ParseResult> contracts = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                ContractParser.ContractAttribute,
                static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.InterfaceDeclarationSyntax,
                static (ctx, ct) => ContractParser.Parse(ctx, ct))
            .WithTrackingName(ParseStep);

        context.RegisterSourceOutput(contracts, static (spc, result) =>
        {
            foreach (DiagnosticInfo diagnostic in result.Diagnostics)
                spc.ReportDiagnostic(diagnostic.ToDiagnostic());
            if (result.Model is { } model)
                spc.AddSource(ContractEmitter.HintName(model), ContractEmitter.Emit(model));
        });
    }
}
