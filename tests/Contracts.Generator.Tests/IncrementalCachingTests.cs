using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using SidecarKit.Generator;

namespace SidecarKit.Contracts.Generator.Tests;

public class IncrementalCachingTests
{
    private const string Contract = """
        using SidecarKit;
        namespace Cache;
        [SidecarContract("calc")]
        public partial interface ICalc
        {
            Task<int> AddAsync(int a, int b, CancellationToken ct = default);
            Task<Result> RunAsync(Job job);
        }
        public sealed record Job(string Name, List<int> Values);
        public sealed record Result(int Sum, string? Note);
        """;

    [Fact]
    public void Parse_step_stays_cached_after_an_unrelated_edit()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(Contract, "namespace Other; public class Unrelated { public int X; }");
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);

        SyntaxTree unrelated = compilation.SyntaxTrees.Single(t => t.ToString().Contains("Unrelated"));
        CSharpCompilation edited = compilation.ReplaceSyntaxTree(unrelated,
            CSharpSyntaxTree.ParseText("namespace Other; public class Unrelated { public int X; public int Y; }", GeneratorHarness.ParseOptions, unrelated.FilePath));
        driver = driver.RunGenerators(edited);

        GeneratorRunResult run = driver.GetRunResult().Results[0];
        IncrementalGeneratorRunStep[] steps = [.. run.TrackedSteps[ContractGenerator.ParseStep]];
        Assert.NotEmpty(steps);
        Assert.All(steps.SelectMany(s => s.Outputs), o => Assert.True(
            o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"step output was {o.Reason}"));
        foreach (string name in new[] { ContractGenerator.IdentityStep, ContractGenerator.DuplicatesStep })
            Assert.All(run.TrackedSteps[name].SelectMany(s => s.Outputs), o => Assert.True(
                o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{name} output was {o.Reason}"));
    }

    [Fact]
    public void Derived_type_step_stays_cached_when_other_files_or_a_derived_types_members_change()
    {
        const string Shapes = "namespace Other; public class Base { } public class Derived : Base { public int X; }";
        CSharpCompilation compilation = GeneratorHarness.Compile(Contract, Shapes, "namespace Other; public class Unrelated { public int X; }");
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        Assert.Single(driver.GetRunResult().Results[0].TrackedSteps[ContractGenerator.DerivedTypesStep]
            .SelectMany(s => s.Outputs), o => o.Value is not null);

        // An edit elsewhere: the derived types are read again (a semantic transform always is) but come out equal, so
        // the check across the compilation does not run again.
        SyntaxTree unrelated = compilation.SyntaxTrees.Single(t => t.ToString().Contains("Unrelated"));
        CSharpCompilation edited = compilation.ReplaceSyntaxTree(unrelated,
            CSharpSyntaxTree.ParseText("namespace Other; public class Unrelated { public int X; public int Y; }", GeneratorHarness.ParseOptions, unrelated.FilePath));
        driver = driver.RunGenerators(edited);
        AssertNotRerun(driver);

        // A member added after the derived type's name: the same.
        SyntaxTree shapes = edited.SyntaxTrees.Single(t => t.ToString() == Shapes);
        edited = edited.ReplaceSyntaxTree(shapes, CSharpSyntaxTree.ParseText(
            "namespace Other; public class Base { } public class Derived : Base { public int X; public int Y; }", GeneratorHarness.ParseOptions, shapes.FilePath));
        driver = driver.RunGenerators(edited);
        AssertNotRerun(driver);

        static void AssertNotRerun(GeneratorDriver driver)
        {
            GeneratorRunResult run = driver.GetRunResult().Results[0];
            Assert.All(run.TrackedSteps[ContractGenerator.DerivedTypesStep].SelectMany(s => s.Outputs), o => Assert.True(
                o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"derived types step output was {o.Reason}"));
            Assert.All(run.TrackedSteps[ContractGenerator.TruncatedStep].SelectMany(s => s.Outputs), o => Assert.True(
                o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"SK0021 step output was {o.Reason}"));
        }
    }

    [Fact]
    public void Parse_step_reruns_when_the_contract_changes()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(Contract);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        SyntaxTree tree = compilation.SyntaxTrees.Single(t => t.ToString().Contains("ICalc"));
        CSharpCompilation edited = compilation.ReplaceSyntaxTree(tree,
            CSharpSyntaxTree.ParseText(Contract.Replace("Task<int> AddAsync", "Task<long> AddAsync"), GeneratorHarness.ParseOptions, tree.FilePath));
        driver = driver.RunGenerators(edited);
        IncrementalGeneratorRunStep step = Assert.Single(driver.GetRunResult().Results[0].TrackedSteps[ContractGenerator.ParseStep]);
        Assert.Contains(step.Outputs, o => o.Reason == IncrementalStepRunReason.Modified);
    }

    [Fact]
    public void Editing_one_contract_leaves_the_other_contracts_and_the_name_check_cached()
    {
        const string Other = """
            using SidecarKit;
            namespace Cache;
            [SidecarContract("other")]
            public partial interface IOther { Task<string> EchoAsync(string text, CancellationToken ct = default); }
            """;
        CSharpCompilation compilation = GeneratorHarness.Compile(Contract, Other);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        SyntaxTree tree = compilation.SyntaxTrees.Single(t => t.ToString().Contains("ICalc"));
        CSharpCompilation edited = compilation.ReplaceSyntaxTree(tree,
            CSharpSyntaxTree.ParseText(Contract.Replace("Task<int> AddAsync", "Task<long> AddAsync"), GeneratorHarness.ParseOptions, tree.FilePath));
        driver = driver.RunGenerators(edited);

        GeneratorRunResult run = driver.GetRunResult().Results[0];
        Assert.DoesNotContain(run.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        // ICalc reparsed, IOther not.
        IncrementalStepRunReason[] parses = [.. run.TrackedSteps[ContractGenerator.ParseStep].SelectMany(s => s.Outputs).Select(o => o.Reason)];
        Assert.Equal(2, parses.Length);
        Assert.Contains(IncrementalStepRunReason.Modified, parses);
        Assert.Contains(parses, r => r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged);
        // The names did not change: the duplicate check's result is unchanged, so nothing downstream of it reruns.
        Assert.All(run.TrackedSteps[ContractGenerator.DuplicatesStep].SelectMany(s => s.Outputs), o => Assert.True(
            o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"duplicates step output was {o.Reason}"));
    }

    [Fact]
    public void Code_stays_cached_when_an_edit_only_moves_the_contract_and_its_infos()
    {
        // RunAsync has no CancellationToken (SK0019, info): its position moves, the model does not.
        CSharpCompilation compilation = GeneratorHarness.Compile(Contract);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        SyntaxTree tree = compilation.SyntaxTrees.Single(t => t.ToString().Contains("ICalc"));
        CSharpCompilation edited = compilation.ReplaceSyntaxTree(tree,
            CSharpSyntaxTree.ParseText(Contract.Replace("namespace Cache;", "namespace Cache;\n\n// moved\n"), GeneratorHarness.ParseOptions, tree.FilePath));
        driver = driver.RunGenerators(edited);

        GeneratorRunResult run = driver.GetRunResult().Results[0];
        Diagnostic info = Assert.Single(run.Diagnostics);
        Assert.Equal("SK0019", info.Id);
        Assert.Equal(9, info.Location.GetLineSpan().StartLinePosition.Line); // 0-based line 6 before: moved down by the three inserted lines
        IncrementalGeneratorRunStep step = Assert.Single(run.TrackedSteps[ContractGenerator.ModelStep]);
        Assert.All(step.Outputs, o => Assert.True(
            o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"model step output was {o.Reason}"));
    }

    [Fact]
    public void Model_holds_no_symbols_or_syntax()
    {
        // A model that held an ISymbol or SyntaxNode would defeat caching and keep compilations alive.
        Type[] modelTypes = [.. typeof(ContractGenerator).Assembly.GetTypes().Where(t => t.Namespace == "SidecarKit.Generator.Model")];
        Assert.NotEmpty(modelTypes);
        foreach (Type type in modelTypes)
        {
            foreach (var p in type.GetProperties())
            {
                Assert.False(typeof(ISymbol).IsAssignableFrom(p.PropertyType), $"{type.Name}.{p.Name} is a symbol");
                Assert.False(typeof(SyntaxNode).IsAssignableFrom(p.PropertyType), $"{type.Name}.{p.Name} is syntax");
                Assert.False(typeof(Location).IsAssignableFrom(p.PropertyType), $"{type.Name}.{p.Name} is a location");
            }
        }
    }
}
