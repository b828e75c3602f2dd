using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using SidecarKit.Generator;

namespace SidecarKit.Contracts.Generator.Tests;

/// <summary>
/// Contract inheritance: a base interface's methods join the derived contract under the derived contract's name;
/// IDisposable and IAsyncDisposable are the proxy's own disposal, never a remote call.
/// </summary>
public class InheritanceTests
{
    private const string Hierarchy = """
        using SidecarKit;
        namespace D;
        [SidecarContract("basic")]
        public partial interface IBasic
        {
            Task<string> PingAsync(string text, CancellationToken ct = default);
        }
        public interface IShared
        {
            Task<int> CountAsync(Item item, CancellationToken ct = default);
            [SidecarMethod("log")] void Write(string line);
        }
        [SidecarContract("advanced")]
        public partial interface IAdvanced : IBasic, IShared, IAsyncDisposable, IDisposable
        {
            Task<int> AddAsync(int a, int b, CancellationToken ct = default);
        }
        public sealed record Item(string Name);
        """;

    private static string Generated(GeneratorDriverRunResult result, string hint)
        => result.Results[0].GeneratedSources.Single(g => g.HintName == hint).SourceText.ToString();

    [Fact]
    public void Inherited_methods_join_the_derived_contract_under_its_name_and_the_base_contract_keeps_its_own()
    {
        var (output, diagnostics, result) = GeneratorHarness.Run(Hierarchy);
        Assert.Empty(diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d => d.Id + " " + d.GetMessage()));
        Assert.Equal(["D.IBasic.Sidecar.g.cs", "D.IAdvanced.Sidecar.g.cs"], result.Results[0].GeneratedSources.Select(g => g.HintName));

        string advanced = Generated(result, "D.IAdvanced.Sidecar.g.cs");
        // Description, fingerprint, schema: every method, the inherited first, under "advanced".
        Assert.Contains("descriptionJson: \"{\\\"contract\\\":\\\"advanced\\\"", advanced);
        string[] schema = [.. advanced.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("new(\"advanced.", StringComparison.Ordinal))
            .Select(l => l.Substring(5, l.IndexOf('"', 5) - 5))];
        Assert.Equal(["advanced.ping", "advanced.count", "advanced.log", "advanced.add"], schema);
        // The proxy implements each member through the interface that declares it; the dispatcher calls it through it too.
        Assert.Contains("global::System.Threading.Tasks.Task<string> global::D.IBasic.PingAsync(string text, global::System.Threading.CancellationToken ct)", advanced);
        Assert.Contains("void global::D.IShared.Write(string line)", advanced);
        Assert.Contains("((global::D.IBasic)implementation).PingAsync(args.text, ct)", advanced);
        Assert.Contains("void global::System.IDisposable.Dispose() { }", advanced);
        Assert.Contains("global::System.Threading.Tasks.ValueTask global::System.IAsyncDisposable.DisposeAsync() => default;", advanced);
        Assert.DoesNotContain("\"advanced.dispose", advanced);
        Assert.DoesNotContain("Dispose", advanced.Substring(0, advanced.IndexOf("class __Proxy", StringComparison.Ordinal)));

        string basic = Generated(result, "D.IBasic.Sidecar.g.cs");
        Assert.Contains("\"basic.ping\"", basic);
        Assert.DoesNotContain("advanced", basic);
    }

    [Fact]
    public void The_fingerprint_covers_the_inherited_methods()
    {
        static string Fingerprint(string source)
        {
            var (_, _, result) = GeneratorHarness.Run(source);
            string advanced = Generated(result, "D.IAdvanced.Sidecar.g.cs");
            int at = advanced.IndexOf("fingerprint: \"", StringComparison.Ordinal) + 14;
            return advanced.Substring(at, advanced.IndexOf('"', at) - at);
        }
        string before = Fingerprint(Hierarchy);
        string after = Fingerprint(Hierarchy.Replace("Task<int> CountAsync(Item item", "Task<long> CountAsync(Item item", StringComparison.Ordinal));
        Assert.NotEqual(before, after);
    }

    [Fact]
    public void Diamond_base_contributes_its_methods_once()
    {
        var (output, diagnostics, result) = GeneratorHarness.Run("""
            using SidecarKit;
            namespace D;
            public interface IRoot { Task PingAsync(CancellationToken ct); }
            public interface ILeft : IRoot { Task LeftAsync(CancellationToken ct); }
            public interface IRight : IRoot { Task RightAsync(CancellationToken ct); }
            [SidecarContract("both")] public partial interface IBoth : ILeft, IRight { }
            """);
        Assert.Empty(diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d => d.Id + " " + d.GetMessage()));
        string source = Assert.Single(result.Results[0].GeneratedSources).SourceText.ToString();
        Assert.Equal(["both.ping", "both.left", "both.right"], source.Split('\n').Select(l => l.Trim())
            .Where(l => l.StartsWith("new(\"both.", StringComparison.Ordinal)).Select(l => l.Substring(5, l.IndexOf('"', 5) - 5)));
    }

    [Fact]
    public void Problems_of_a_plain_base_interface_are_reported_at_its_members()
    {
        var (output, diagnostics, result) = GeneratorHarness.Run("""
            using SidecarKit;
            namespace D;
            public interface IBase
            {
                int Count { get; }
                int Get(CancellationToken ct);
                Task SetAsync(object value, CancellationToken ct);
            }
            [SidecarContract("c")] public partial interface IC : IBase { Task PingAsync(CancellationToken ct); }
            """);
        Assert.Equal(["SK0011 Count", "SK0005 Get", "SK0006 value"], diagnostics.Select(d => d.Id + " " + Flagged(output, d)));
        Assert.StartsWith("'IBase.Count' is a property", diagnostics[0].GetMessage());
        Assert.Empty(result.Results[0].GeneratedSources);
    }

    [Fact]
    public void A_name_used_twice_across_the_hierarchy_is_SK0009_at_the_contracts_own_method()
    {
        var (output, diagnostics, result) = GeneratorHarness.Run("""
            using SidecarKit;
            namespace D;
            public interface IBase { Task PingAsync(CancellationToken ct); }
            [SidecarContract("c")] public partial interface IC : IBase { [SidecarMethod("ping")] Task PongAsync(CancellationToken ct); }
            """);
        Diagnostic d = Assert.Single(diagnostics);
        Assert.Equal("SK0009", d.Id);
        Assert.Equal("PongAsync", Flagged(output, d));
        Assert.Equal("Methods 'IBase.PingAsync' and 'PongAsync' both have the wire name 'c.ping'; rename one or give it another name with [SidecarMethod(\"…\")]", d.GetMessage());
        Assert.Empty(result.Results[0].GeneratedSources);
    }

    [Fact]
    public void A_base_contracts_own_problem_is_reported_once_and_stops_the_derived_contract_too()
    {
        var (output, diagnostics, result) = GeneratorHarness.Run("""
            using SidecarKit;
            namespace D;
            [SidecarContract("b")] public partial interface IB { int Get(CancellationToken ct); Task PingAsync(); }
            [SidecarContract("c")] public partial interface IC : IB { Task PongAsync(CancellationToken ct); }
            """);
        Assert.Equal(["SK0005 Get", "SK0019 PingAsync"], diagnostics.Select(d => d.Id + " " + Flagged(output, d)));
        Assert.Empty(result.Results[0].GeneratedSources);
    }

    [Fact]
    public void A_base_contract_from_another_assembly_is_inherited_from_its_metadata()
    {
        // The base is compiled (with its generated code) into an assembly of its own, which the derived one references.
        var (baseOutput, baseDiagnostics, _) = GeneratorHarness.Run("""
            using SidecarKit;
            namespace Lib;
            [SidecarContract("basic")] public partial interface IBasic : IDisposable { Task<string> PingAsync(string text, CancellationToken ct = default); }
            """);
        Assert.Empty(baseDiagnostics);
        using var image = new MemoryStream();
        Assert.True(baseOutput.WithAssemblyName("Lib").Emit(image).Success);

        CSharpCompilation derived = GeneratorHarness.Compile("""
            using SidecarKit;
            namespace App;
            [SidecarContract("advanced")] public partial interface IAdvanced : Lib.IBasic { Task<int> AddAsync(int a, int b, CancellationToken ct = default); }
            """).AddReferences(MetadataReference.CreateFromImage(image.ToArray()));
        GeneratorHarness.CreateDriver().RunGeneratorsAndUpdateCompilation(derived, out Compilation output, out var diagnostics);
        Assert.Empty(diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d => d.Id + " " + d.GetMessage()));
        string source = output.SyntaxTrees.Last().ToString();
        Assert.Contains("\"advanced.ping\"", source);
        Assert.Contains("global::Lib.IBasic.PingAsync(", source);
        Assert.Contains("void global::System.IDisposable.Dispose() { }", source);
    }

    [Fact]
    public void An_edit_to_a_base_interface_in_another_file_reaches_the_derived_contract_and_an_unrelated_edit_does_not()
    {
        const string Base = "namespace D; public interface IBase { System.Threading.Tasks.Task PingAsync(System.Threading.CancellationToken ct); }";
        const string Derived = """
            using SidecarKit;
            namespace D;
            [SidecarContract("c")] public partial interface IC : IBase { Task PongAsync(CancellationToken ct); }
            """;
        CSharpCompilation compilation = GeneratorHarness.Compile(Derived, Base, "namespace Other; public class Unrelated { public int X; }");
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);

        SyntaxTree unrelated = compilation.SyntaxTrees.Single(t => t.ToString().Contains("Unrelated"));
        CSharpCompilation edited = compilation.ReplaceSyntaxTree(unrelated,
            CSharpSyntaxTree.ParseText("namespace Other; public class Unrelated { public int X; public int Y; }", GeneratorHarness.ParseOptions, unrelated.FilePath));
        driver = driver.RunGenerators(edited);
        Assert.All(driver.GetRunResult().Results[0].TrackedSteps[ContractGenerator.ModelStep].SelectMany(s => s.Outputs), o => Assert.True(
            o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"model step output was {o.Reason}"));

        SyntaxTree baseTree = edited.SyntaxTrees.Single(t => t.ToString().Contains("interface IBase"));
        edited = edited.ReplaceSyntaxTree(baseTree, CSharpSyntaxTree.ParseText(
            Base.Replace("}", "System.Threading.Tasks.Task StopAsync(System.Threading.CancellationToken ct); }", StringComparison.Ordinal),
            GeneratorHarness.ParseOptions, baseTree.FilePath));
        driver = driver.RunGenerators(edited);
        GeneratorRunResult run = driver.GetRunResult().Results[0];
        Assert.Contains(run.TrackedSteps[ContractGenerator.ModelStep].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("\"c.stop\"", Assert.Single(run.GeneratedSources).SourceText.ToString());
    }

    [Fact]
    public void The_SK0018_examples_of_docs_diagnostics_md_report_what_the_docs_say()
    {
        var (output, diagnostics, _) = GeneratorHarness.Run("""
            using SidecarKit;
            namespace MyApp;
            public interface IRepository<T>
            {
                Task<T?> FindAsync(string id, CancellationToken ct = default);
            }
            public sealed record Order(string Id, decimal Total);
            [SidecarContract("orders")]
            public partial interface IOrders : IRepository<Order>
            {
                Task<Order> PlaceAsync(Order order, CancellationToken ct = default);
            }
            """);
        Diagnostic d = Assert.Single(diagnostics);
        Assert.Equal("IRepository<Order>", Flagged(output, d));
        Assert.Equal("contract 'MyApp.IOrders' inherits 'MyApp.IRepository<MyApp.Order>': a contract's base interfaces must not be generic; declare the methods with their types in a non-generic base interface or in the contract",
            d.GetMessage());

        var (fixedOutput, fixedDiagnostics, result) = GeneratorHarness.Run("""
            using SidecarKit;
            namespace MyApp;
            public interface IOrderLookup
            {
                Task<Order?> FindAsync(string id, CancellationToken ct = default);
            }
            public sealed record Order(string Id, decimal Total);
            [SidecarContract("orders")]
            public partial interface IOrders : IOrderLookup, IAsyncDisposable
            {
                Task<Order> PlaceAsync(Order order, CancellationToken ct = default);
            }
            """);
        Assert.Empty(fixedDiagnostics);
        Assert.Single(result.Results[0].GeneratedSources);
        Assert.Empty(fixedOutput.GetDiagnostics().Where(x => x.Severity >= DiagnosticSeverity.Warning).Select(x => x.Id + " " + x.GetMessage()));
    }

    private static string Flagged(Compilation output, Diagnostic diagnostic)
    {
        SyntaxTree tree = output.SyntaxTrees.Single(t => t.FilePath == diagnostic.Location.GetLineSpan().Path);
        return tree.ToString().Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length);
    }
}
