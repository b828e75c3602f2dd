using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
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
        { "SK0014", "items", """[SidecarContract("c")] public partial interface IC { void Send(IAsyncEnumerable<int> items); }""" },
        { "SK0014", "more", """[SidecarContract("c")] public partial interface IC { Task SendAsync(IAsyncEnumerable<int> items, IAsyncEnumerable<int> more); }""" },
        { "SK0026", "progress", """[SidecarContract("c")] public partial interface IC { void Start(string name, IProgress<int> progress); }""" },
        { "SK0026", "second", """[SidecarContract("c")] public partial interface IC { Task StartAsync(IProgress<int> first, IProgress<string> second); }""" },
        { "SK0026", "progress", """[SidecarContract("c")] public partial interface IC { IAsyncEnumerable<int> WatchAsync(IProgress<int> progress); }""" },
        { "SK0026", "progress", """[SidecarContract("c")] public partial interface IC { Task<System.IO.Stream> ExportAsync(IProgress<int> progress); }""" },
        // A declared error with a code of the protocol's own, and one declared on the contract and on its method again.
        { "SK0027", "-32602", """[SidecarContract("c")] public partial interface IC { [SidecarError(-32602, "bad")] Task SetAsync(int a); }""" },
        { "SK0027", "\"again\"", """[SidecarContract("c")] [SidecarError(-32010, "first")] public partial interface IC { [SidecarError(-32010, "again")] Task SetAsync(int a); }""" },
        { "SK0015", "PingAsync", """[SidecarContract("c")] public partial interface IC { [SidecarMethod("system.ping")] Task PingAsync(); }""" },
        { "SK0016", "b", """[SidecarContract("c")] public partial interface IC { Task SetAsync(int a, [SidecarField(1)] int b); }""" },
        { "SK0016", "Note", """[SidecarContract("c")] public partial interface IC { Task SetAsync(Pinned value); } public sealed record Pinned([property: SidecarField(19500)] string Note);""" },
        // The second contract with the name is reported (at its attribute); the first, IOk, is generated.
        { "SK0017", "SidecarKit.SidecarContract", """[SidecarContract("c")] public partial interface IOk { Task PingAsync(CancellationToken ct); } [SidecarKit.SidecarContract("c")] public partial interface IC { Task PongAsync(CancellationToken ct); }""" },
        // A number [SidecarReserved] keeps for a removed field: a member landing on it by position, a parameter pinned to
        // it, and a number that cannot be reserved at all (reported at the attribute).
        { "SK0022", "Quantity", """[SidecarContract("c")] public partial interface IC { Task SetAsync(Order value); } [SidecarReserved(2)] public sealed record Order(string Id, int Quantity);""" },
        { "SK0022", "quantity", """[SidecarContract("c")] public partial interface IC { [SidecarReserved(3)] Task SetAsync(string id, [SidecarField(3)] int quantity); }""" },
        { "SK0022", "19001", """[SidecarContract("c")] public partial interface IC { [SidecarReserved(2, 19001)] Task SetAsync(string id); }""" },
        { "SK0018", "IRepository<string>", """public interface IRepository<T> { Task<T> GetAsync(int id, CancellationToken ct); } [SidecarContract("c")] public partial interface IC : IDisposable, IRepository<string> { Task PingAsync(CancellationToken ct); }""" },
        // Info and warning: the contract is still generated.
        { "SK0019", "PingAsync", """[SidecarContract("c")] public partial interface IC { Task PingAsync(); }""" },
        { "SK0020", "Shape", """[SidecarContract("c")] public partial interface IC { Task SetAsync(Shape value, CancellationToken ct); } public class Shape { public int Sides { get; set; } }""" },
        // At the derived type (Shape's own SK0020 warning aside); the contract itself is sound, so it is generated.
        { "SK0021", "Square", """[SidecarContract("c")] public partial interface IC { Task SetAsync(Shape value, CancellationToken ct); } public class Shape { public int Sides { get; set; } } public sealed class Square : Shape { public int Side { get; set; } }""" },
        // Polymorphism: at the [SidecarDerivedType] declaration that is wrong.
        { "SK0023", "typeof(Other)", """[SidecarContract("c")] public partial interface IC { Task SetAsync(Shape value, CancellationToken ct); } [SidecarDerivedType(typeof(Other), "other")] public abstract record Shape(string Name); public sealed record Other(string Name);""" },
        { "SK0024", "\"my-circle\"", """[SidecarContract("c")] public partial interface IC { Task SetAsync(Shape value, CancellationToken ct); } [SidecarDerivedType(typeof(Circle), "my-circle")] public abstract record Shape(string Name); public sealed record Circle(string Name, double R) : Shape(Name);""" },
        { "SK0025", "Tag = 100", """[SidecarContract("c")] public partial interface IC { Task SetAsync(Shape value, CancellationToken ct); } [SidecarDerivedType(typeof(Circle), "circle", Tag = 100)] public record Shape(string Name); public sealed record Circle(string Name, double R) : Shape(Name);""" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_unsupported_shape_is_a_build_error_on_the_offending_member(string id, string marker, string source)
    {
        string full = "using SidecarKit;\nnamespace D;\n" + source;
        var (output, diagnostics, result) = GeneratorHarness.Run(full);

        // The cases are kept short, so most of their methods have no CancellationToken: that info (SK0019) is left out
        // here unless it is the case's own diagnostic; so is the unsealed base's warning (SK0020) of the SK0021 case.
        Diagnostic diagnostic = Assert.Single(diagnostics, d => d.Id == id || (d.Id != "SK0019" && !(id == "SK0021" && d.Id == "SK0020")));
        Assert.Equal(id, diagnostic.Id);
        DiagnosticSeverity severity = id switch { "SK0019" => DiagnosticSeverity.Info, "SK0020" => DiagnosticSeverity.Warning, _ => DiagnosticSeverity.Error };
        Assert.Equal(severity, diagnostic.Severity);
        // Diagnostics from the cached model carry a file path and span (not a tree): find the tree by path.
        SyntaxTree tree = output.SyntaxTrees.Single(t => t.FilePath == diagnostic.Location.GetLineSpan().Path);
        string flagged = tree.ToString().Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length);
        Assert.Contains(marker, flagged);
        Assert.EndsWith("#" + id.ToLowerInvariant(), diagnostic.Descriptor.HelpLinkUri);
        // Never broken generated code: nothing is emitted for a contract with errors (IOk is a valid contract of a case).
        if (severity == DiagnosticSeverity.Error && id != "SK0021")
            Assert.Empty(result.Results[0].GeneratedSources.Where(g => !g.HintName.Contains(".IOk.", StringComparison.Ordinal)));
        else
            Assert.Single(result.Results[0].GeneratedSources);
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

    [Theory]
    [InlineData("int CountAsync(string text, out int lines);", "SK0005 CountAsync", "SK0007 lines")]
    [InlineData("Task<T> GetAsync<T>(ref int version, CancellationToken ct, string key);", "SK0010 GetAsync", "SK0007 version", "SK0008 ct")]
    [InlineData("List<int> Sum(object values, IAsyncEnumerable<int> more, IAsyncEnumerable<int> again);", "SK0005 Sum", "SK0006 values", "SK0014 again")]
    public void Every_problem_of_a_method_is_reported_at_once(string method, params string[] expected)
    {
        var (output, diagnostics, _) = GeneratorHarness.Run("using SidecarKit;\nnamespace D;\n[SidecarContract(\"c\")] public partial interface IC { " + method + " }");
        string[] actual = [.. diagnostics.Select(d => d.Id + " " + Flagged(output, d))];
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Reserved_numbers_are_errors_only_where_a_member_or_parameter_lands_on_one()
    {
        var (output, diagnostics, result) = GeneratorHarness.Run("""
            using SidecarKit;
            namespace D;
            [SidecarContract("c")]
            public partial interface IC
            {
                [SidecarReserved(1, 4)] Task SetAsync([SidecarField(2)] string id, [SidecarField(3)] int count, CancellationToken ct);
                [SidecarReserved(2)] Task PutAsync(string id, int count, CancellationToken ct);
                Task SendAsync(Order order, Line line, CancellationToken ct);
            }
            [SidecarReserved(2, 5)] public sealed record Order(string Id, [property: SidecarField(3)] int Quantity);
            [SidecarReserved(0, 1)] public sealed record Line([property: SidecarField(2)] string Sku);
            """);
        // Pinned elsewhere, or positional off the reserved numbers: no error (SetAsync, Order's Id at 1 and Quantity pinned
        // off 2). PutAsync's count at position 2 and Line's invalid 0 are the errors (Sku is pinned off the valid 1).
        Assert.Equal(["SK0022 count", "SK0022 SidecarReserved(0, 1)"], diagnostics.Select(d => d.Id + " " + Flagged(output, d)));
        Assert.Equal("Field number 2 of 'PutAsync(count)' is reserved ([SidecarReserved]): a removed field's number must not be reused; pin this one with [SidecarField] to another number",
            diagnostics[0].GetMessage());
        Assert.Equal("Field number 0 of 'D.Line' cannot be reserved ([SidecarReserved]): it is out of range, use 1 to 536870911", diagnostics[1].GetMessage());
        Assert.Empty(result.Results[0].GeneratedSources);
    }

    [Fact]
    public void Reserved_numbers_go_into_the_schema_sorted_once_and_only_where_declared()
    {
        var (output, diagnostics, result) = GeneratorHarness.Run("""
            using SidecarKit;
            namespace D;
            [SidecarContract("c")]
            public partial interface IC
            {
                [SidecarReserved(4, 1, 4)] Task SetAsync([SidecarField(2)] string id, [SidecarField(3)] int count, CancellationToken ct);
                Task SendAsync(Order order, CancellationToken ct);
            }
            [SidecarReserved(2)] public sealed record Order(string Id, [property: SidecarField(3)] int Quantity);
            """);
        Assert.Empty(diagnostics);
        string source = Assert.Single(result.Results[0].GeneratedSources).SourceText.ToString();
        string Line(string start) => source.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith(start, StringComparison.Ordinal));
        Assert.EndsWith(", 3) }, null, new int[] { 1, 4 }),", Line("new(\"c.set\""));
        Assert.EndsWith("}, null),", Line("new(\"c.send\""));   // no attribute, no argument: emitted as before
        Assert.EndsWith("}, new int[] { 2 }),", Line("new(\"Order\""));
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
    }

    [Fact]
    public void Generic_base_interface_is_named_in_the_message_at_the_base_list_entry_it_comes_through()
    {
        var (output, diagnostics, result) = GeneratorHarness.Run("""
            using SidecarKit;
            namespace D;
            public interface IRepository<T> { Task<T> GetAsync(int id, CancellationToken ct); }
            public interface IStore : IRepository<string> { }
            [SidecarContract("c")] public partial interface IC : IAsyncDisposable, IStore { Task PingAsync(CancellationToken ct); }
            """);
        Assert.Equal(["SK0018 IStore"], diagnostics.Select(d => d.Id + " " + Flagged(output, d)));
        Assert.Equal("contract 'D.IC' inherits 'D.IRepository<string>': a contract's base interfaces must not be generic; declare the methods with their types in a non-generic base interface or in the contract",
            diagnostics[0].GetMessage());
        Assert.Empty(result.Results[0].GeneratedSources);
    }

    [Fact]
    public void Duplicate_contract_names_across_files_are_reported_at_each_later_contract()
    {
        var (output, diagnostics, result) = GeneratorHarness.Run(
            """using SidecarKit; namespace A; [SidecarContract("calc")] public partial interface ICalc { Task<int> AddAsync(int a, CancellationToken ct); }""",
            """using SidecarKit; namespace B; [SidecarContract("calc")] public partial interface ICalc { Task<int> SubAsync(int a, CancellationToken ct); }""",
            """using SidecarKit; namespace C; [SidecarContract("calc")] public partial interface IMath { Task<int> MulAsync(int a, CancellationToken ct); }""",
            """using SidecarKit; namespace C; [SidecarContract("Calc")] public partial interface IOther { Task<int> DivAsync(int a, CancellationToken ct); }""");
        Assert.Equal(
            ["Contracts 'A.ICalc' and 'B.ICalc' both have the contract name 'calc'; every contract in a compilation needs its own name in [SidecarContract(\"…\")] @Source1.cs",
             "Contracts 'A.ICalc' and 'C.IMath' both have the contract name 'calc'; every contract in a compilation needs its own name in [SidecarContract(\"…\")] @Source2.cs"],
            diagnostics.Select(d => d.GetMessage() + " @" + d.Location.GetLineSpan().Path));
        Assert.All(diagnostics, d => Assert.Equal("SidecarContract(\"calc\")", Flagged(output, d)));
        // Names are case-sensitive on the wire: "Calc" is another contract. The later two are not generated.
        Assert.Equal(["A.ICalc.Sidecar.g.cs", "C.IOther.Sidecar.g.cs"], result.Results[0].GeneratedSources.Select(g => g.HintName));
    }

    [Fact]
    public void Missing_cancellation_token_is_info_only_on_cancellable_requests_and_code_is_still_generated()
    {
        var (output, diagnostics, result) = GeneratorHarness.Run("""
            using SidecarKit;
            namespace D;
            [SidecarContract("c")]
            public partial interface IC
            {
                Task<int> AddAsync(int a, int b);
                Task PingAsync();
                ValueTask<int> CountAsync();
                IAsyncEnumerable<int> WatchAsync(string key);
                Task<int> WithTokenAsync(int a, CancellationToken cancellationToken = default);
                void Log(string message);
            }
            """);
        Assert.Equal(["SK0019 AddAsync", "SK0019 PingAsync", "SK0019 CountAsync", "SK0019 WatchAsync"], diagnostics.Select(d => d.Id + " " + Flagged(output, d)));
        Assert.All(diagnostics, d => Assert.Equal(DiagnosticSeverity.Info, d.Severity));
        Assert.Single(result.Results[0].GeneratedSources);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
    }

    [Fact]
    public void Info_diagnostic_does_not_fail_a_build_that_treats_warnings_as_errors()
    {
        // TreatWarningsAsErrors: the driver filters generator diagnostics through the compilation's options, as csc does.
        CSharpCompilation strict = GeneratorHarness.Compile("""
            using SidecarKit;
            namespace D;
            [SidecarContract("c")] public partial interface IC { Task PingAsync(); Task SetAsync(Open value, CancellationToken ct); }
            public class Open { public int X { get; set; } }
            """);
        strict = strict.WithOptions(strict.Options.WithGeneralDiagnosticOption(ReportDiagnostic.Error));
        GeneratorHarness.CreateDriver().RunGeneratorsAndUpdateCompilation(strict, out Compilation output, out var diagnostics);
        Assert.Equal(["SK0019 Info", "SK0020 Error"], diagnostics.Select(d => d.Id + " " + d.Severity));
        Assert.True(diagnostics.Single(d => d.Id == "SK0020").IsWarningAsError);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    [Fact]
    public void Unsealed_dto_class_is_a_warning_at_its_declaration_and_sealed_ones_and_structs_are_not()
    {
        var (output, diagnostics, result) = GeneratorHarness.Run("""
            using SidecarKit;
            namespace D;
            [SidecarContract("c")] public partial interface IC { Task<Shape> GetAsync(Sealed a, Point p, Rec r, CancellationToken ct); }
            public class Shape { public int Sides { get; set; } }
            public sealed class Sealed { public int X { get; set; } }
            public struct Point { public int X { get; set; } }
            public record Rec(int X);
            """);
        Assert.Equal(["SK0020 Shape", "SK0020 Rec"], diagnostics.Select(d => d.Id + " " + Flagged(output, d)));
        Assert.Contains("declare it 'sealed', or declare its derived types with [SidecarDerivedType]", diagnostics[0].GetMessage());
        Assert.Single(result.Results[0].GeneratedSources);
    }

    [Fact]
    public void Every_class_deriving_from_an_open_type_on_the_wire_is_an_error_at_its_name_once_and_no_other_class_is()
    {
        var (output, diagnostics, result) = GeneratorHarness.Run("""
            using SidecarKit;
            namespace D;
            [SidecarContract("draw")] public partial interface IDraw { Task<Scene> DrawAsync(Shape shape, CancellationToken ct); }
            [SidecarContract("other")] public partial interface IOther { Task SetAsync(Shape shape, CancellationToken ct); }
            public class Shape { public string Name { get; set; } = ""; }
            public class Square : Shape { public double Side { get; set; } }
            public sealed partial class Cube : Square { public double Depth { get; set; } }
            public sealed partial class Cube : System.IComparable { public int CompareTo(object? o) => 0; }
            public sealed record Scene(Label Title);
            public record Label(string Text);
            public sealed record Bold(string Text) : Label(Text);
            public class Unrelated : System.Exception { }
            public sealed class Local : Unrelated { }
            """);
        var errors = diagnostics.Where(d => d.Id == "SK0021").Select(d => (Flagged(output, d), d.GetMessage())).OrderBy(e => e.Item1).ToList();
        Assert.Equal(["Bold", "Cube", "Square"], errors.Select(e => e.Item1));
        Assert.All(diagnostics.Where(d => d.Id == "SK0021"), d => Assert.Equal(DiagnosticSeverity.Error, d.Severity));
        Assert.Equal("Type 'D.Bold' derives from 'D.Label', which contract 'D.IDraw' sends or receives, but 'D.Label' does not declare it: a 'D.Bold' passed as 'D.Label' cannot be sent, and the codec refuses it at run time; add [SidecarDerivedType(typeof(D.Bold), \"...\")] to 'D.Label'", errors[0].Item2);
        // A grandchild names the base that is on the wire (Square is not), once although it is declared twice.
        Assert.StartsWith("Type 'D.Cube' derives from 'D.Shape', which contract 'D.IDraw'", errors[1].Item2);
        // both contracts are still generated: the mistake is the derived type's, and the build fails on it
        Assert.Equal(2, result.Results[0].GeneratedSources.Length);
    }

    private static string Flagged(Compilation output, Diagnostic diagnostic)
    {
        SyntaxTree tree = output.SyntaxTrees.Single(t => t.FilePath == diagnostic.Location.GetLineSpan().Path);
        return tree.ToString().Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length);
    }

    [Fact]
    public void Unsupported_type_deep_inside_a_dto_names_the_member_and_the_reason()
    {
        var (_, diagnostics, _) = GeneratorHarness.Run("""
            using SidecarKit;
            namespace D;
            [SidecarContract("c")] public partial interface IC { Task SetAsync(Outer value); }
            public sealed record Outer(List<Inner> Items);
            public sealed record Inner(Dictionary<double, string> ByNumber);
            """);
        Diagnostic d = Assert.Single(diagnostics);
        Assert.Equal("SK0006", d.Id);
        Assert.Contains("D.Inner.ByNumber", d.GetMessage());
        Assert.Contains("keys must be 'string'", d.GetMessage());
    }

    [Theory]
    [InlineData("ReadOnlyMemory<int>", "only memory of bytes")]
    [InlineData("Memory<char>", "only memory of bytes")]
    [InlineData("ImmutableDictionary<DateTime, string>", "keys must be 'string', an integer type, an enum or 'Guid'")]
    [InlineData("Dictionary<int?, string>", "keys must be 'string'")]
    [InlineData("HashSet<object>", "'object' has no fixed wire shape")]
    [InlineData("ImmutableArray<System.Text.StringBuilder>", "framework type has no defined wire shape")]
    [InlineData("ImmutableQueue<int>", "framework type has no defined wire shape")]
    public void New_shapes_with_an_unsupported_part_are_still_refused(string type, string reason)
    {
        var (_, diagnostics, _) = GeneratorHarness.Run($$"""
            using SidecarKit;
            using System.Collections.Immutable;
            namespace D;
            [SidecarContract("c")] public partial interface IC { Task SetAsync({{type}} value, CancellationToken ct); }
            """);
        Diagnostic d = Assert.Single(diagnostics);
        Assert.Equal("SK0006", d.Id);
        Assert.Contains(reason, d.GetMessage());
    }

    [Fact]
    public void The_new_types_generate_without_diagnostics()
    {
        var (output, diagnostics, _) = GeneratorHarness.Run("""
            using SidecarKit;
            using System.Collections.Immutable;
            namespace D;
            [SidecarContract("c")] public partial interface IC
            {
                Task<DateOnly> SetAsync(TimeOnly a, Int128 b, UInt128 c, Half d, ReadOnlyMemory<byte> e, Memory<byte> f, Uri g, Version h,
                    HashSet<int> i, ISet<string> j, IReadOnlySet<Guid> k, ImmutableArray<long> l, ImmutableList<DateOnly?> m,
                    ImmutableDictionary<string, ImmutableArray<Half>> n, Dictionary<int, string> o, IReadOnlyDictionary<ulong, Kind> p,
                    Dictionary<Guid, int> q, ImmutableDictionary<Kind, List<int>> r, Dictionary<sbyte, Dictionary<Kind, int>> s, CancellationToken ct);
            }
            public enum Kind : byte { A, B }
            """);
        Assert.Empty(diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(x => x.Severity == DiagnosticSeverity.Error));
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
