using System.Reflection;
using Microsoft.CodeAnalysis;
using SidecarKit.Generator;

namespace SidecarKit.Contracts.Generator.Tests;

public class DiagnosticTests
{
    // Each case: a contract that must produce exactly this diagnostic at the marked member (and generate nothing).
    public static TheoryData<string, string, string> Cases => new()
    {
        { "SK0001", "IC", """[SidecarContract("c")] public interface IC { Task PingAsync(); }""" },
        { "SK0002", "IC", """[SidecarContract("c")] public partial interface IC<T> { Task PingAsync(); }""" },
        { "SK0003", "IC", """public partial class Outer { [SidecarContract("c")] public partial interface IC { Task PingAsync(); } }""" },
        { "SK0004", "SidecarContract", """[SidecarContract("bad.name")] public partial interface IC { Task PingAsync(); }""" },
        { "SK0005", "GetAsync", """[SidecarContract("c")] public partial interface IC { int GetAsync(); }""" },
        { "SK0006", "value", """[SidecarContract("c")] public partial interface IC { Task SetAsync(object value); }""" },
        { "SK0007", "value", """[SidecarContract("c")] public partial interface IC { Task SetAsync(ref int value); }""" },
        { "SK0008", "ct", """[SidecarContract("c")] public partial interface IC { Task SetAsync(CancellationToken ct, int value); }""" },
        { "SK0009", "SumAsync", """[SidecarContract("c")] public partial interface IC { Task<int> AddAsync(int a); [SidecarMethod("add")] Task<int> SumAsync(int a); }""" },
        { "SK0010", "GetAsync", """[SidecarContract("c")] public partial interface IC { Task<T> GetAsync<T>(); }""" },
        { "SK0011", "Count", """[SidecarContract("c")] public partial interface IC { int Count { get; } Task PingAsync(); }""" },
        { "SK0012", "NoCtor", """[SidecarContract("c")] public partial interface IC { Task SetAsync(NoCtor value); } public sealed class NoCtor { public NoCtor(int other) { } public int Value { get; set; } }""" },
        { "SK0013", "Name", """[SidecarContract("c")] public partial interface IC { Task SetAsync(Dup value); } public sealed class Dup { public string name { get; set; } = ""; public string Name { get; set; } = ""; }""" },
        { "SK0014", "items", """[SidecarContract("c")] public partial interface IC { Task SendAsync(IAsyncEnumerable<int> items); }""" },
        { "SK0015", "PingAsync", """[SidecarContract("c")] public partial interface IC { [SidecarMethod("system.ping")] Task PingAsync(); }""" },
        { "SK0016", "b", """[SidecarContract("c")] public partial interface IC { Task SetAsync(int a, [SidecarField(1)] int b); }""" },
        { "SK0016", "Note", """[SidecarContract("c")] public partial interface IC { Task SetAsync(Pinned value); } public sealed record Pinned([property: SidecarField(19500)] string Note);""" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_unsupported_shape_is_a_build_error_on_the_offending_member(string id, string marker, string source)
    {
        string full = "using SidecarKit;\nnamespace D;\n" + source;
        var (output, diagnostics, result) = GeneratorHarness.Run(full);

        Diagnostic diagnostic = Assert.Single(diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        // Diagnostics from the cached model carry a file path and span (not a tree): find the tree by path.
        SyntaxTree tree = output.SyntaxTrees.Single(t => t.FilePath == diagnostic.Location.GetLineSpan().Path);
        string flagged = tree.ToString().Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length);
        Assert.Contains(marker, flagged);
        Assert.EndsWith("#" + id.ToLowerInvariant(), diagnostic.Descriptor.HelpLinkUri);
        // Never broken generated code: nothing is emitted for a contract with errors.
        Assert.Empty(result.Results[0].GeneratedSources);
        Assert.DoesNotContain(output.GetDiagnostics(), d => d.Id.StartsWith("CS", StringComparison.Ordinal) && d.Severity == DiagnosticSeverity.Error
            && d.Location.SourceTree?.FilePath.EndsWith(".g.cs", StringComparison.Ordinal) == true);
    }

    [Fact]
    public void Notification_with_cancellation_token_is_rejected()
    {
        var (_, diagnostics, _) = GeneratorHarness.Run("""
            using SidecarKit;
            namespace D;
            [SidecarContract("c")] public partial interface IC { void Log(string m, CancellationToken ct); }
            """);
        Diagnostic d = Assert.Single(diagnostics);
        Assert.Equal("SK0008", d.Id);
        Assert.Contains("one-way notification", d.GetMessage());
    }

    [Fact]
    public void Unsupported_type_deep_inside_a_dto_names_the_member_and_the_reason()
    {
        var (_, diagnostics, _) = GeneratorHarness.Run("""
            using SidecarKit;
            namespace D;
            [SidecarContract("c")] public partial interface IC { Task SetAsync(Outer value); }
            public sealed record Outer(List<Inner> Items);
            public sealed record Inner(Dictionary<int, string> ByNumber);
            """);
        Diagnostic d = Assert.Single(diagnostics);
        Assert.Equal("SK0006", d.Id);
        Assert.Contains("D.Inner.ByNumber", d.GetMessage());
        Assert.Contains("keys must be 'string'", d.GetMessage());
    }

    [Fact]
    public void Every_descriptor_has_a_case_here_and_a_section_in_the_docs()
    {
        var all = (IEnumerable<DiagnosticDescriptor>)typeof(ContractGenerator).Assembly
            .GetType("SidecarKit.Generator.DiagnosticDescriptors")!
            .GetProperty("All", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
        var tested = Cases.Select(c => (string)c[0]).ToHashSet();
        string docs = File.ReadAllText(Path.Combine(RepoRoot(), "docs", "diagnostics.md"));
        foreach (DiagnosticDescriptor d in all)
        {
            Assert.Contains(d.Id, tested);
            Assert.Contains("## " + d.Id, docs);
        }
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Toolkit.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("Toolkit.sln not found above " + AppContext.BaseDirectory);
    }
}
