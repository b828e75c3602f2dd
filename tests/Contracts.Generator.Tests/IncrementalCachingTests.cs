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
