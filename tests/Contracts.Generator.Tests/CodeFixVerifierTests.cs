using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using SidecarKit.CodeFixes;
using SidecarKit.Generator;

namespace SidecarKit.Contracts.Generator.Tests;

/// <summary>
/// The code fixes through Microsoft.CodeAnalysis.CSharp.CodeFix.Testing: the diagnostic at the marked span
/// (<c>{|SK0001:ICalculator|}</c>), the fixed source exactly, no diagnostic left after the fix, and the same result
/// when the fix is applied one diagnostic at a time and with Fix all (document, project and solution). The generator
/// is not an analyzer: <see cref="GeneratorDiagnostics"/> runs it and reports its diagnostics, the way the IDE shows them.
/// </summary>
public class CodeFixVerifierTests
{
    private const string Header = "using System.Threading;\nusing System.Threading.Tasks;\nusing SidecarKit;\n\nnamespace MyApp;\n\n";

    [Fact]
    public Task SK0001_makes_the_interface_partial() => Verify<MakeContractPartialCodeFix>("""
        [SidecarContract("calc")]
        public interface {|SK0001:ICalculator|}
        {
            Task<int> AddAsync(int a, int b, CancellationToken ct = default);
        }
        """, """
        [SidecarContract("calc")]
        public partial interface ICalculator
        {
            Task<int> AddAsync(int a, int b, CancellationToken ct = default);
        }
        """);

    [Fact]
    public Task SK0004_names_the_contract() => Verify<ContractNameCodeFix>("""
        [{|SK0004:SidecarContract("image.resize")|}]
        public partial interface IImageResizer
        {
            Task<byte[]> ResizeAsync(byte[] image, CancellationToken ct = default);
        }
        """, """
        [SidecarContract("image-resize")]
        public partial interface IImageResizer
        {
            Task<byte[]> ResizeAsync(byte[] image, CancellationToken ct = default);
        }
        """);

    [Fact]
    public Task SK0008_moves_the_token_last() => Verify<CancellationTokenCodeFix>("""
        [SidecarContract("search")]
        public partial interface ISearch
        {
            Task<string[]> QueryAsync(CancellationToken {|SK0008:ct|}, string query, int limit = 10);
        }
        """, """
        [SidecarContract("search")]
        public partial interface ISearch
        {
            Task<string[]> QueryAsync(string query, int limit = 10, CancellationToken ct = default);
        }
        """);

    [Fact]
    public Task SK0008_removes_the_token_of_a_notification() => Verify<CancellationTokenCodeFix>("""
        [SidecarContract("events")]
        public partial interface IEvents
        {
            void Track(string name, CancellationToken {|SK0008:ct|});
        }
        """, """
        [SidecarContract("events")]
        public partial interface IEvents
        {
            void Track(string name);
        }
        """);

    [Fact]
    public Task SK0009_gives_each_overload_its_own_wire_name() => Verify<WireNameCodeFix>("""
        [SidecarContract("math")]
        public partial interface IMath
        {
            Task<int> SumAsync(int[] values, CancellationToken ct = default);
            Task<long> {|SK0009:SumAsync|}(long[] values, CancellationToken ct = default);
            Task<double> {|SK0009:SumAsync|}(double[] values, CancellationToken ct = default);
        }
        """, """
        [SidecarContract("math")]
        public partial interface IMath
        {
            Task<int> SumAsync(int[] values, CancellationToken ct = default);
            [SidecarMethod("sum2")]
            Task<long> SumAsync(long[] values, CancellationToken ct = default);
            [SidecarMethod("sum3")]
            Task<double> SumAsync(double[] values, CancellationToken ct = default);
        }
        """);

    [Fact]
    public Task SK0005_wraps_a_synchronous_result_in_a_task() => Verify<TaskReturnCodeFix>("""
        [SidecarContract("tokenizer")]
        public partial interface ITokenizer
        {
            int {|SK0005:CountTokens|}(string text);
        }
        """, """
        [SidecarContract("tokenizer")]
        public partial interface ITokenizer
        {
            Task<int> CountTokens(string text);
        }
        """);

    private static Task Verify<TFix>(string before, string after) where TFix : CodeFixProvider, new()
    {
        var test = new CSharpCodeFixTest<GeneratorDiagnostics, TFix, DefaultVerifier>
        {
            TestCode = Header + before,
            FixedCode = Header + after,
            // The running runtime's assemblies and SidecarKit.Runtime (GeneratorHarness), not a reference package from a feed.
            ReferenceAssemblies = new ReferenceAssemblies("net10.0"),
        };
        test.TestState.AdditionalReferences.AddRange(GeneratorHarness.References);
        return test.RunAsync();
    }

    /// <summary>The generator's diagnostics, reported by an analyzer (mapped from their file path to the tree, as the IDE does).</summary>
    // A test-only analyzer, never loaded by a compiler: the rules for shipped compiler extensions do not apply.
#pragma warning disable RS1036, RS1038, RS1041
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class GeneratorDiagnostics : DiagnosticAnalyzer
    {
        // The generator's descriptors with the formatted message as the message: the code-fix test needs the ids and spans.
        private static readonly ImmutableDictionary<string, DiagnosticDescriptor> s_descriptors =
            ((IEnumerable<DiagnosticDescriptor>)typeof(ContractGenerator).Assembly
                .GetType("SidecarKit.Generator.DiagnosticDescriptors")!
                .GetProperty("All", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!)
            .ToImmutableDictionary(d => d.Id, d => new DiagnosticDescriptor(d.Id, d.Title, "{0}", d.Category, d.DefaultSeverity, d.IsEnabledByDefault, helpLinkUri: d.HelpLinkUri));

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = [.. s_descriptors.Values];

        public override void Initialize(AnalysisContext context)
        {
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.EnableConcurrentExecution();
            // Per tree (local diagnostics, as the test framework requires of a fixable one): the generator's diagnostics in it.
            context.RegisterSemanticModelAction(c =>
            {
                SyntaxTree tree = c.SemanticModel.SyntaxTree;
                GeneratorHarness.CreateDriver().RunGeneratorsAndUpdateCompilation(c.SemanticModel.Compilation, out _, out ImmutableArray<Diagnostic> diagnostics);
                // Infos (SK0019 on methods without a token) are suggestions these fixes are not about: left out.
                foreach (Diagnostic d in diagnostics.Where(d => d.Location.GetLineSpan().Path == tree.FilePath && d.Severity != DiagnosticSeverity.Info))
                    c.ReportDiagnostic(Diagnostic.Create(s_descriptors[d.Id], Location.Create(tree, d.Location.SourceSpan), d.GetMessage()));
            });
        }
    }
#pragma warning restore RS1036, RS1038, RS1041
}
