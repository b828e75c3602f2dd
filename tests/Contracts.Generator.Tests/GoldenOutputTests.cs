using Microsoft.CodeAnalysis;

namespace SidecarKit.Contracts.Generator.Tests;

public class GoldenOutputTests
{
    private static string GoldenPath(string name) => Path.Combine(AppContext.BaseDirectory, "Golden", name);

    // The golden contract keeps two requests without a CancellationToken (SK0019, info): generated all the same.
    private static readonly string[] s_expectedInfos = ["SK0019 DeleteAsync", "SK0019 TouchAsync"];

    private static void AssertOnlyTheExpectedInfos(IEnumerable<Diagnostic> diagnostics)
        => Assert.Equal(s_expectedInfos, diagnostics.Select(d => d.Id + " " + d.GetMessage().Split('\'')[1]));

    private static string SourcePath(string name)
        => Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../Golden", name));

    [Fact]
    public void Representative_contract_generates_the_golden_output()
    {
        var (_, diagnostics, result) = GeneratorHarness.Run(File.ReadAllText(GoldenPath("Contract.cs")));
        AssertOnlyTheExpectedInfos(diagnostics);
        GeneratedSourceResult generated = Assert.Single(result.Results[0].GeneratedSources);
        Assert.Equal("Golden.Sample.IInventory.Sidecar.g.cs", generated.HintName);
        string actual = generated.SourceText.ToString().ReplaceLineEndings("\n");

        // To accept a deliberate change of the generated code: UPDATE_GOLDEN=1 dotnet test, then review the diff.
        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
            File.WriteAllText(SourcePath("IInventory.Sidecar.g.cs.txt"), actual);
        string expected = File.ReadAllText(GoldenPath("IInventory.Sidecar.g.cs.txt")).ReplaceLineEndings("\n");
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Polymorphic_contract_generates_the_golden_output_which_compiles_clean()
    {
        var (output, diagnostics, result) = GeneratorHarness.Run(File.ReadAllText(GoldenPath("Polymorphic.cs")));
        Assert.Empty(diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d => d.Id + " " + d.GetMessage() + " @" + d.Location.GetLineSpan().StartLinePosition));
        string actual = Assert.Single(result.Results[0].GeneratedSources).SourceText.ToString().ReplaceLineEndings("\n");
        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
            File.WriteAllText(SourcePath("IShapes.Sidecar.g.cs.txt"), actual);
        Assert.Equal(File.ReadAllText(GoldenPath("IShapes.Sidecar.g.cs.txt")).ReplaceLineEndings("\n"), actual);
    }

    [Fact]
    public void Compilation_including_generated_code_has_no_diagnostics()
    {
        var (output, diagnostics, _) = GeneratorHarness.Run(File.ReadAllText(GoldenPath("Contract.cs")));
        AssertOnlyTheExpectedInfos(diagnostics);
        // Warnings count too: generated code must compile clean under nullable and default warning levels.
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d => d.Id + " " + d.GetMessage() + " @" + d.Location.GetLineSpan().StartLinePosition));
    }

    [Fact]
    public void Generated_contract_implements_ISidecarContract_and_describes_itself()
    {
        var (output, _, _) = GeneratorHarness.Run(File.ReadAllText(GoldenPath("Contract.cs")));
        INamedTypeSymbol contract = output.GetTypeByMetadataName("Golden.Sample.IInventory")!;
        Assert.Contains(contract.AllInterfaces, i => i.OriginalDefinition.ToDisplayString() == "SidecarKit.ISidecarContract<TSelf>");
    }
}
