using Microsoft.CodeAnalysis;

namespace SidecarKit.Contracts.Generator.Tests;

/// <summary>
/// The [SidecarDerivedType] declarations: each kind of mistake is an error at its declaration (SK0023 to SK0025), a base
/// that declares its derived types is not SK0020, a derived class a base on its way up does not declare is SK0021, and a
/// sound hierarchy (an abstract base, a concrete one, nested, recursive) generates code that compiles.
/// </summary>
public class PolymorphismDiagnosticTests
{
    private static (Compilation Output, List<Diagnostic> Diagnostics, GeneratorDriverRunResult Result) Run(string source)
    {
        var (output, diagnostics, result) = GeneratorHarness.Run("using SidecarKit;\nnamespace D;\n" + source);
        return (output, diagnostics.Where(d => d.Id != "SK0019").ToList(), result);
    }

    private static string Flagged(Compilation output, Diagnostic diagnostic)
    {
        SyntaxTree tree = output.SyntaxTrees.Single(t => t.FilePath == diagnostic.Location.GetLineSpan().Path);
        return tree.ToString().Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length);
    }

    private const string Contract = """[SidecarContract("c")] public partial interface IC { Task<Shape> SetAsync(Shape value, CancellationToken ct); }""";

    [Fact]
    public void A_sound_hierarchy_generates_code_that_compiles_with_no_diagnostic()
    {
        var (output, diagnostics, result) = Run(Contract + """
            [SidecarDerivedType(typeof(Circle), "circle")]
            [SidecarDerivedType(typeof(Square), "square", Tag = 7)]
            [SidecarDerivedType(typeof(Colored), "colored")]
            public abstract record Shape(string Name);
            public sealed record Circle(string Name, double R) : Shape(Name);
            [SidecarDerivedType(typeof(Colored), "colored")]
            public record Square(string Name, double Side) : Shape(Name);
            public sealed record Colored(string Name, double Side, string Color) : Square(Name, Side);
            public abstract record Polygon(string Name) : Shape(Name);
            """);
        Assert.Empty(diagnostics);
        Assert.Single(result.Results[0].GeneratedSources);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        string code = result.Results[0].GeneratedSources[0].SourceText.ToString();
        Assert.Contains("new(\"circle\", global::SidecarKit.Schema.WireType.Named(\"Circle\"), 101), new(\"square\", global::SidecarKit.Schema.WireType.Named(\"Square\"), 7), new(\"colored\", global::SidecarKit.Schema.WireType.Named(\"Colored\"), 103)", code);
        Assert.Contains("if (type == typeof(global::D.Colored))", code);
        Assert.Contains("""\"variants\":[{\"name\":\"circle\",\"type\":\"Circle\",\"tag\":101""", code);   // in the description (a C# literal)
    }

    [Fact]
    public void A_derived_class_that_a_base_on_its_way_up_does_not_declare_is_SK0021_naming_that_base()
    {
        var (output, diagnostics, _) = Run(Contract + """
            [SidecarContract("sq")] public partial interface ISq { Task SetAsync(Square value, CancellationToken ct); }
            [SidecarDerivedType(typeof(Square), "square")]
            public abstract record Shape(string Name);
            [SidecarDerivedType(typeof(Colored), "colored")]
            public record Square(string Name, double Side) : Shape(Name);
            public sealed record Colored(string Name, double Side, string Color) : Square(Name, Side);
            public sealed record Triangle(string Name) : Shape(Name);
            """);
        var errors = diagnostics.Select(d => (d.Id, Flagged(output, d), d.GetMessage())).OrderBy(e => e.Item2).ToList();
        Assert.Equal([("SK0021", "Colored"), ("SK0021", "Triangle")], errors.Select(e => (e.Id, e.Item2)));
        // Square declares Colored, Shape does not: a Colored passed as a Shape cannot be sent.
        Assert.Equal("Type 'D.Colored' derives from 'D.Shape', which contract 'D.IC' sends or receives, but 'D.Shape' does not declare it: a 'D.Colored' passed as "
            + "'D.Shape' cannot be sent, and the codec refuses it at run time; add [SidecarDerivedType(typeof(D.Colored), \"...\")] to 'D.Shape'", errors[0].Item3);
    }

    [Theory]
    [InlineData("[SidecarDerivedType(typeof(Other), \"other\")]", "typeof(Other)", "[SidecarDerivedType(typeof(D.Other))] on 'D.Shape': it does not derive from 'D.Shape'")]
    [InlineData("[SidecarDerivedType(typeof(Polygon), \"polygon\")]", "typeof(Polygon)", "[SidecarDerivedType(typeof(D.Polygon))] on 'D.Shape': it is abstract, so no instance of it can be sent; declare its concrete derived types instead")]
    [InlineData("[SidecarDerivedType(typeof(Shape), \"shape\")]", "typeof(Shape)", "[SidecarDerivedType(typeof(D.Shape))] on 'D.Shape': it is the type itself, which travels as itself without a declaration (unless it is abstract)")]
    [InlineData("[SidecarDerivedType(typeof(Circle), \"a\")][SidecarDerivedType(typeof(Circle), \"b\")]", "\"b\"", "[SidecarDerivedType(typeof(D.Circle))] on 'D.Shape': it is declared twice")]
    [InlineData("[SidecarDerivedType(typeof(Circle), \"\")]", "typeof(Circle)", "The discriminator \"\" of 'D.Circle' on 'D.Shape' is not valid: it must start with a letter, then letters, digits or '_' (it also names the case in the .proto)")]
    [InlineData("[SidecarDerivedType(typeof(Circle), \"x\")][SidecarDerivedType(typeof(Square), \"x\")]", "typeof(Square)", "The discriminator \"x\" of 'D.Square' on 'D.Shape' is already the discriminator of 'D.Circle'")]
    [InlineData("[SidecarDerivedType(typeof(Circle), \"c\", Tag = 102)][SidecarDerivedType(typeof(Square), \"s\")]", "typeof(Square)", "The tag 102 of 'D.Square' on 'D.Shape' is already the tag of 'D.Circle': pin another one with Tag")]
    [InlineData("[SidecarDerivedType(typeof(Circle), \"c\", Tag = 19500)]", "Tag = 19500", "The tag 19500 of 'D.Circle' on 'D.Shape' is reserved by Protocol Buffers (19000 to 19999)")]
    [InlineData("[SidecarDerivedType(typeof(Circle), \"c\", Tag = -1)]", "Tag = -1", "The tag -1 of 'D.Circle' on 'D.Shape' is out of range: use 1 to 536870911")]
    public void Each_mistake_in_a_declaration_is_an_error_at_it_and_nothing_is_generated(string declarations, string marker, string message)
    {
        var (output, diagnostics, result) = Run(Contract + declarations + """
            public abstract record Shape(string Name);
            public sealed record Circle(string Name, double R) : Shape(Name);
            public sealed record Square(string Name, double Side) : Shape(Name);
            public abstract record Polygon(string Name) : Shape(Name);
            public sealed record Other(string Name);
            """);
        Diagnostic d = Assert.Single(diagnostics, x => x.Id != "SK0021");
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.Contains(marker, Flagged(output, d));
        Assert.Equal(message, d.GetMessage());
        Assert.Empty(result.Results[0].GeneratedSources);
    }

    [Fact]
    public void The_tag_of_a_concrete_base_itself_is_100_and_an_abstract_base_leaves_it_free()
    {
        const string types = """
            public sealed record Circle(string Name, double R) : Shape(Name);
            """;
        var (_, concrete, _) = Run(Contract + """[SidecarDerivedType(typeof(Circle), "c", Tag = 100)] public record Shape(string Name);""" + types);
        Assert.Equal("The tag 100 of 'D.Circle' on 'D.Shape' is already the tag of 'D.Shape itself': pin another one with Tag", Assert.Single(concrete).GetMessage());
        var (_, abstractBase, result) = Run(Contract + """[SidecarDerivedType(typeof(Circle), "c", Tag = 100)] public abstract record Shape(string Name);""" + types);
        Assert.Empty(abstractBase);
        Assert.Single(result.Results[0].GeneratedSources);
    }

    [Fact]
    public void An_abstract_base_without_declarations_is_still_unsupported()
    {
        var (_, diagnostics, _) = Run(Contract + "public abstract record Shape(string Name);");
        Assert.All(diagnostics, d => Assert.Equal("SK0006", d.Id));   // at the parameter and at the method (its result)
        Assert.Contains("declare its derived types with [SidecarDerivedType]", diagnostics[0].GetMessage());
    }
}

/// <summary>The examples of docs/diagnostics.md for the polymorphism diagnostics report exactly what the page says, and their fixes nothing.</summary>
public class PolymorphismDocsExamplesTests
{
    [Theory]
    [InlineData("SK0020")]
    [InlineData("SK0021")]
    [InlineData("SK0023")]
    [InlineData("SK0024")]
    [InlineData("SK0025")]
    [InlineData("SK0026")]
    public void The_bad_example_reports_the_documented_message_and_the_fixed_ones_nothing(string id)
    {
        string docs = File.ReadAllText(Path.Combine(RepoRoot(), "docs", "diagnostics.md")).ReplaceLineEndings("\n");
        int start = docs.IndexOf("## " + id + ":", StringComparison.Ordinal);
        int end = docs.IndexOf("\n---\n", start, StringComparison.Ordinal);
        string section = end < 0 ? docs[start..] : docs[start..end];
        var blocks = System.Text.RegularExpressions.Regex.Matches(section, "```csharp\n(.*?)```", System.Text.RegularExpressions.RegexOptions.Singleline)
            .Select(m => m.Groups[1].Value).ToList();
        string reported = System.Text.RegularExpressions.Regex.Match(section, "Reported as[^:]*: `(.*)`\n").Groups[1].Value;
        Assert.True(blocks.Count >= 2 && reported.Length > 0, section);

        var (_, diagnostics, _) = GeneratorHarness.Run(blocks[0]);
        Assert.Contains(diagnostics, d => d.Id == id && d.GetMessage() == reported);
        foreach (string fixedExample in blocks.Skip(1))
        {
            var (output, fixedDiagnostics, result) = GeneratorHarness.Run(fixedExample);
            Assert.Empty(fixedDiagnostics.Where(d => d.Id != "SK0019"));
            Assert.Single(result.Results[0].GeneratedSources);
            Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        }
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Toolkit.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("Toolkit.sln not found above " + AppContext.BaseDirectory);
    }
}
