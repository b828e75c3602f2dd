using System.Collections.Immutable;
using System.Composition;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using SidecarKit.CodeFixes;

namespace SidecarKit.Contracts.Generator.Tests;

/// <summary>
/// The code fixes (src/Contracts.CodeFixes) on the generator's own diagnostics: the diagnostics come from a source
/// generator, not a DiagnosticAnalyzer, so each test runs the generator (CSharpGeneratorDriver) on the workspace's
/// compilation, gives its diagnostics (mapped to the document, as the IDE does) to the fix provider, applies the
/// offered code action the way the IDE does (its operations, with simplification and formatting), compares the result
/// with the expected source exactly, and runs the generator again: the fixed source reports nothing and compiles with
/// the generated code.
/// </summary>
public class CodeFixTests
{
    private const string Header = "using SidecarKit;\n\nnamespace MyApp;\n\n";

    // Each case: the diagnostic id, the source before (after Header), and the source after the first offered fix.
    public static TheoryData<string, string, string> Cases => new()
    {
        // SK0001: partial, last among the modifiers.
        {
            "SK0001",
            """
            [SidecarContract("calc")]
            public interface ICalculator
            {
                Task<int> AddAsync(int a, int b, CancellationToken ct = default);
            }
            """,
            """
            [SidecarContract("calc")]
            public partial interface ICalculator
            {
                Task<int> AddAsync(int a, int b, CancellationToken ct = default);
            }
            """
        },
        // SK0001 without any modifier: the indentation stays in front.
        {
            "SK0001",
            """
            public static partial class Holder { }

            [SidecarContract("calc")]
            interface ICalculator { Task<int> AddAsync(int a, int b); }
            """,
            """
            public static partial class Holder { }

            [SidecarContract("calc")]
            partial interface ICalculator { Task<int> AddAsync(int a, int b); }
            """
        },
        // SK0004, docs/diagnostics.md's example: each run of characters a name cannot have becomes one '-'.
        {
            "SK0004",
            """
            [SidecarContract("image.resize")]
            public partial interface IImageResizer
            {
                Task<byte[]> ResizeAsync(byte[] image, int width, int height, CancellationToken ct = default);
            }
            """,
            """
            [SidecarContract("image-resize")]
            public partial interface IImageResizer
            {
                Task<byte[]> ResizeAsync(byte[] image, int width, int height, CancellationToken ct = default);
            }
            """
        },
        // SK0004 on a reserved name (or one with no letter): the interface's name, without its I, camelCased.
        {
            "SK0004",
            """
            [SidecarContract(/* the name */ "system")]
            public partial interface IImageResizer
            {
                Task<byte[]> ResizeAsync(byte[] image, CancellationToken ct = default);
            }
            """,
            """
            [SidecarContract(/* the name */ "imageResizer")]
            public partial interface IImageResizer
            {
                Task<byte[]> ResizeAsync(byte[] image, CancellationToken ct = default);
            }
            """
        },
        // SK0008, docs/diagnostics.md's example: the token moves last and gets '= default' after an optional parameter.
        {
            "SK0008",
            """
            [SidecarContract("search")]
            public partial interface ISearch
            {
                Task<string[]> QueryAsync(CancellationToken ct, string query, int limit = 10);
            }
            """,
            """
            [SidecarContract("search")]
            public partial interface ISearch
            {
                Task<string[]> QueryAsync(string query, int limit = 10, CancellationToken ct = default);
            }
            """
        },
        // SK0008, one parameter a line: the layout stays; no default is added where none is needed.
        {
            "SK0008",
            """
            [SidecarContract("kv")]
            public partial interface IStore
            {
                Task SetAsync(
                    CancellationToken cancellationToken,
                    string key,
                    int value);
            }
            """,
            """
            [SidecarContract("kv")]
            public partial interface IStore
            {
                Task SetAsync(
                    string key,
                    int value,
                    CancellationToken cancellationToken);
            }
            """
        },
        // SK0008 on a one-way notification: the token is removed.
        {
            "SK0008",
            """
            [SidecarContract("events")]
            public partial interface IEvents
            {
                void Track(string name, CancellationToken ct);
            }
            """,
            """
            [SidecarContract("events")]
            public partial interface IEvents
            {
                void Track(string name);
            }
            """
        },
        // SK0008, the first of two tokens: removed.
        {
            "SK0008",
            """
            [SidecarContract("jobs")]
            public partial interface IJobs
            {
                Task RunAsync(CancellationToken first, string job, CancellationToken ct = default);
            }
            """,
            """
            [SidecarContract("jobs")]
            public partial interface IJobs
            {
                Task RunAsync(string job, CancellationToken ct = default);
            }
            """
        },
        // SK0009, docs/diagnostics.md's example: the overload gets its own name on a line of its own.
        {
            "SK0009",
            """
            [SidecarContract("math")]
            public partial interface IMath
            {
                Task<int> SumAsync(int[] values, CancellationToken ct = default);
                /// <summary>The sum of longs.</summary>
                Task<long> SumAsync(long[] values, CancellationToken ct = default);
            }
            """,
            """
            [SidecarContract("math")]
            public partial interface IMath
            {
                Task<int> SumAsync(int[] values, CancellationToken ct = default);
                /// <summary>The sum of longs.</summary>
                [SidecarMethod("sum2")]
                Task<long> SumAsync(long[] values, CancellationToken ct = default);
            }
            """
        },
        // SK0009 across the hierarchy: the names of the inherited methods are taken too ('ping2' is the base's), so 'ping3'.
        {
            "SK0009",
            """
            public interface IBase
            {
                Task PingAsync(CancellationToken ct = default);
                [SidecarMethod("ping2")] Task Ping2Async(CancellationToken ct = default);
            }
            [SidecarContract("net")]
            public partial interface INet : IBase, IDisposable
            {
                Task<int> PingAsync(string host, CancellationToken ct = default);
            }
            """,
            """
            public interface IBase
            {
                Task PingAsync(CancellationToken ct = default);
                [SidecarMethod("ping2")] Task Ping2Async(CancellationToken ct = default);
            }
            [SidecarContract("net")]
            public partial interface INet : IBase, IDisposable
            {
                [SidecarMethod("ping3")]
                Task<int> PingAsync(string host, CancellationToken ct = default);
            }
            """
        },
        // SK0009, a [SidecarMethod] name that collides: replaced, the named arguments kept; 'add2' is taken, so 'add3'.
        {
            "SK0009",
            """
            [SidecarContract("c")]
            public partial interface IC
            {
                Task<int> AddAsync(int a);
                [SidecarMethod("add2")] Task<int> Add2Async(int a);
                [SidecarMethod("add", Idempotent = true)] Task<int> SumAsync(int a);
            }
            """,
            """
            [SidecarContract("c")]
            public partial interface IC
            {
                Task<int> AddAsync(int a);
                [SidecarMethod("add2")] Task<int> Add2Async(int a);
                [SidecarMethod("add3", Idempotent = true)] Task<int> SumAsync(int a);
            }
            """
        },
        // SK0009, a [SidecarMethod] with named arguments only: the name becomes its first argument.
        {
            "SK0009",
            """
            [SidecarContract("c")]
            public partial interface IC
            {
                Task<int> GetAsync(int id);
                [SidecarMethod(TimeoutMilliseconds = 500)]
                Task<int> GetAsync(string key);
            }
            """,
            """
            [SidecarContract("c")]
            public partial interface IC
            {
                Task<int> GetAsync(int id);
                [SidecarMethod("get2", TimeoutMilliseconds = 500)]
                Task<int> GetAsync(string key);
            }
            """
        },
        // SK0009, everything on one line: the attribute goes in front of the method on that line.
        {
            "SK0009",
            """
            [SidecarContract("c")] public partial interface IC { Task PingAsync(); Task Ping(); }
            """,
            """
            [SidecarContract("c")] public partial interface IC { Task PingAsync(); [SidecarMethod("ping2")] Task Ping(); }
            """
        },
        // SK0005: a synchronous result is wrapped in Task<T>.
        {
            "SK0005",
            """
            [SidecarContract("tokenizer")]
            public partial interface ITokenizer
            {
                int CountTokens(string text);
            }
            """,
            """
            [SidecarContract("tokenizer")]
            public partial interface ITokenizer
            {
                Task<int> CountTokens(string text);
            }
            """
        },
        // SK0005 with a nullable reference and a generic result.
        {
            "SK0005",
            """
            [SidecarContract("names")]
            public partial interface INames
            {
                string? Find(int id);
                Task<List<string>> AllAsync();
            }
            """,
            """
            [SidecarContract("names")]
            public partial interface INames
            {
                Task<string?> Find(int id);
                Task<List<string>> AllAsync();
            }
            """
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task The_fix_turns_the_bad_source_into_the_expected_source_that_builds_cleanly(string id, string before, string after)
    {
        (Document document, ImmutableArray<Diagnostic> diagnostics) = await Open(Header + before);
        Diagnostic diagnostic = diagnostics.First(d => d.Id == id);

        CodeAction action = Assert.Single(await Actions(ProviderFor(id), document, diagnostic));
        Document fixedDocument = await Apply(action, document);

        Assert.Equal(Header + after, (await fixedDocument.GetTextAsync()).ToString());
        await AssertBuildsCleanly(fixedDocument);
    }

    [Fact]
    public async Task Fix_all_gives_every_overload_its_own_wire_name()
    {
        const string before = """
            [SidecarContract("math")]
            public partial interface IMath
            {
                Task<int> SumAsync(int[] values);
                Task<long> SumAsync(long[] values);
                Task<double> SumAsync(double[] values);
            }
            """;
        const string after = """
            [SidecarContract("math")]
            public partial interface IMath
            {
                Task<int> SumAsync(int[] values);
                [SidecarMethod("sum2")]
                Task<long> SumAsync(long[] values);
                [SidecarMethod("sum3")]
                Task<double> SumAsync(double[] values);
            }
            """;
        Document fixedDocument = await FixAll("SK0009", Header + before, expectedDiagnostics: 2);
        Assert.Equal(Header + after, (await fixedDocument.GetTextAsync()).ToString());
        await AssertBuildsCleanly(fixedDocument);
    }

    [Fact]
    public async Task Fix_all_fixes_every_contract_and_method_of_the_document()
    {
        const string before = """
            [SidecarContract("a")] public interface IA { Task PingAsync(); }
            [SidecarContract("b")] internal interface IB { Task PingAsync(CancellationToken ct, int x); Task StopAsync(CancellationToken ct, string why); }
            """;
        const string after = """
            [SidecarContract("a")] public partial interface IA { Task PingAsync(); }
            [SidecarContract("b")] internal partial interface IB { Task PingAsync(CancellationToken ct, int x); Task StopAsync(CancellationToken ct, string why); }
            """;
        Document partialDone = await FixAll("SK0001", Header + before, expectedDiagnostics: 2);
        Assert.Equal(Header + after, (await partialDone.GetTextAsync()).ToString());

        Document tokensDone = await FixAll("SK0008", (await partialDone.GetTextAsync()).ToString(), expectedDiagnostics: 2);
        Assert.Equal(Header + after.Replace("(CancellationToken ct, int x)", "(int x, CancellationToken ct)")
                                   .Replace("(CancellationToken ct, string why)", "(string why, CancellationToken ct)"),
            (await tokensDone.GetTextAsync()).ToString());
        await AssertBuildsCleanly(tokensDone);
    }

    [Fact]
    public async Task SK0019_adds_a_defaulted_token_last_and_the_info_goes()
    {
        const string before = """
            [SidecarContract("calc")]
            public partial interface ICalculator
            {
                Task<int> AddAsync(int a, int b);
                Task PingAsync();
                IAsyncEnumerable<int> CountAsync(int cancellationToken);
            }
            """;
        const string after = """
            [SidecarContract("calc")]
            public partial interface ICalculator
            {
                Task<int> AddAsync(int a, int b, CancellationToken cancellationToken = default);
                Task PingAsync(CancellationToken cancellationToken = default);
                IAsyncEnumerable<int> CountAsync(int cancellationToken, CancellationToken ct = default);
            }
            """;
        Document fixedDocument = await FixAll("SK0019", Header + before, expectedDiagnostics: 3);
        Assert.Equal(Header + after, (await fixedDocument.GetTextAsync()).ToString());
        await AssertBuildsCleanly(fixedDocument);
        (_, ImmutableArray<Diagnostic> remaining) = await Open((await fixedDocument.GetTextAsync()).ToString());
        Assert.DoesNotContain(remaining, d => d.Id == "SK0019");
    }

    // No one obvious repair: no fix is offered (an SK0005 fix that offered Task<ref int> would not compile).
    [Theory]
    [InlineData("SK0005", """[SidecarContract("c")] public partial interface IC { ref int GetAsync(); }""")]
    [InlineData("SK0005", """[SidecarContract("c")] public partial interface IC { ReadOnlySpan<byte> GetAsync(); }""")]
    [InlineData("SK0005", """[SidecarContract("c")] public partial interface IC { IAsyncEnumerator<int> GetAsync(); }""")]
    [InlineData("SK0008", """[SidecarContract("c")] public partial interface IC { Task SetAsync(CancellationToken ct, params int[] values); }""")]
    [InlineData("SK0004", """[SidecarContract(Names.Bad)] public partial interface IC { Task PingAsync(CancellationToken ct); } static class Names { public const string Bad = "a.b"; }""")]
    public async Task No_fix_is_offered_where_there_is_no_obvious_repair(string id, string source)
    {
        (Document document, ImmutableArray<Diagnostic> diagnostics) = await Open(Header + source);
        Diagnostic diagnostic = diagnostics.First(d => d.Id == id);
        Assert.Empty(await Actions(ProviderFor(id), document, diagnostic));
    }

    [Theory]
    [InlineData("image.resize", "IImageResizer", "image-resize")]
    [InlineData("  my resizer!", "IImageResizer", "my-resizer")]
    [InlineData("9lives", "ICat", "lives")]
    [InlineData("", "IImageResizer", "imageResizer")]
    [InlineData("lifecycle", "Iso", "iso")]
    [InlineData("rpc", "I2", "i2")]
    [InlineData("system", "_1", "contract")]
    [InlineData("_x", "IX", "x")]
    public void A_new_contract_name_is_valid_and_keeps_what_it_can(string name, string interfaceName, string expected)
        => Assert.Equal(expected, ContractNameCodeFix.NewName(name, interfaceName));

    [Fact]
    public void Every_provider_is_exported_for_CSharp_shared_and_has_a_batch_fix_all()
    {
        Type[] providers = [.. typeof(MakeContractPartialCodeFix).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(CodeFixProvider)) && !t.IsAbstract)];
        Assert.Equal(6, providers.Length);
        foreach (Type type in providers)
        {
            Assert.Equal([LanguageNames.CSharp], type.GetCustomAttribute<ExportCodeFixProviderAttribute>()!.Languages);
            Assert.NotNull(type.GetCustomAttribute<SharedAttribute>());
            var provider = (CodeFixProvider)Activator.CreateInstance(type)!;
            Assert.Same(WellKnownFixAllProviders.BatchFixer, provider.GetFixAllProvider());
        }
        Assert.Equal(["SK0001", "SK0004", "SK0005", "SK0008", "SK0009", "SK0019"],
            providers.SelectMany(t => ((CodeFixProvider)Activator.CreateInstance(t)!).FixableDiagnosticIds).Order());
    }

    private static CodeFixProvider ProviderFor(string id)
        => typeof(MakeContractPartialCodeFix).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(CodeFixProvider)) && t.GetCustomAttribute<ExportCodeFixProviderAttribute>() is not null)
            .Select(t => (CodeFixProvider)Activator.CreateInstance(t)!)
            .Single(p => p.FixableDiagnosticIds.Contains(id));

    /// <summary>A workspace with one source document and the generator's diagnostics on it.</summary>
    private static async Task<(Document Document, ImmutableArray<Diagnostic> Diagnostics)> Open(string source)
    {
        var workspace = new AdhocWorkspace();
        ProjectId projectId = ProjectId.CreateNewId();
        Solution solution = workspace.CurrentSolution
            .AddProject(ProjectInfo.Create(projectId, VersionStamp.Create(), "Tests.Contracts", "Tests.Contracts", LanguageNames.CSharp,
                compilationOptions: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable),
                parseOptions: GeneratorHarness.ParseOptions,
                metadataReferences: GeneratorHarness.References))
            .AddDocument(DocumentId.CreateNewId(projectId), "GlobalUsings.cs", SourceText.From(GeneratorHarness.GlobalUsings), filePath: "/src/GlobalUsings.cs");
        DocumentId documentId = DocumentId.CreateNewId(projectId);
        solution = solution.AddDocument(documentId, "Source0.cs", SourceText.From(source), filePath: "/src/Source0.cs");
        Assert.True(workspace.TryApplyChanges(solution));
        Document document = workspace.CurrentSolution.GetDocument(documentId)!;
        return (document, await GeneratorDiagnostics(document));
    }

    /// <summary>
    /// The generator's diagnostics on the document. They carry a file path and span (the generator's cached model holds no
    /// trees); the IDE maps them to the document by path, and so does this.
    /// </summary>
    private static async Task<ImmutableArray<Diagnostic>> GeneratorDiagnostics(Document document)
    {
        Compilation compilation = (await document.Project.GetCompilationAsync())!;
        GeneratorHarness.CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out _, out ImmutableArray<Diagnostic> diagnostics);
        SyntaxTree tree = (await document.GetSyntaxTreeAsync())!;
        return [.. diagnostics
            .Where(d => d.Location.GetLineSpan().Path == document.FilePath)
            .Select(d => Diagnostic.Create(d.Descriptor, Location.Create(tree, d.Location.SourceSpan)))];
    }

    private static async Task<List<CodeAction>> Actions(CodeFixProvider provider, Document document, Diagnostic diagnostic)
    {
        var actions = new List<CodeAction>();
        await provider.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (a, _) => actions.Add(a), CancellationToken.None));
        return actions;
    }

    /// <summary>Applies a code action as the IDE does: through its operations (simplified and formatted).</summary>
    private static async Task<Document> Apply(CodeAction action, Document document)
    {
        ImmutableArray<CodeActionOperation> operations = await action.GetOperationsAsync(CancellationToken.None);
        ApplyChangesOperation apply = Assert.Single(operations.OfType<ApplyChangesOperation>());
        return apply.ChangedSolution.GetDocument(document.Id)!;
    }

    private static async Task<Document> FixAll(string id, string source, int expectedDiagnostics)
    {
        (Document document, ImmutableArray<Diagnostic> diagnostics) = await Open(source);
        ImmutableArray<Diagnostic> ofId = [.. diagnostics.Where(d => d.Id == id)];
        Assert.Equal(expectedDiagnostics, ofId.Length);
        CodeFixProvider provider = ProviderFor(id);
        CodeAction first = (await Actions(provider, document, ofId[0]))[0];
        var context = new FixAllContext(document, provider, FixAllScope.Document, first.EquivalenceKey, [id],
            new FixedDiagnostics(ofId), CancellationToken.None);
        CodeAction fixAll = (await provider.GetFixAllProvider()!.GetFixAsync(context))!;
        return await Apply(fixAll, document);
    }

    /// <summary>The fixed source: the generator reports nothing, generates the contract, and the output compiles.</summary>
    private static async Task AssertBuildsCleanly(Document document)
    {
        Compilation compilation = (await document.Project.GetCompilationAsync())!;
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
        // Cleanly: no error or warning (an info, such as SK0019 on another method, is a suggestion).
        Assert.Empty(diagnostics.Where(d => d.Severity != DiagnosticSeverity.Info).Select(d => d.ToString()));
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()));
        Assert.NotEmpty(driver.GetRunResult().Results[0].GeneratedSources);
    }

    private sealed class FixedDiagnostics(ImmutableArray<Diagnostic> diagnostics) : FixAllContext.DiagnosticProvider
    {
        public override Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken)
            => Task.FromResult<IEnumerable<Diagnostic>>(diagnostics);
        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken)
            => Task.FromResult<IEnumerable<Diagnostic>>([]);
        public override Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken)
            => Task.FromResult<IEnumerable<Diagnostic>>(diagnostics);
    }
}
