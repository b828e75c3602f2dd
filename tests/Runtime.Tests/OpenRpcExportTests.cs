using System.Text.Json;
using SidecarKit.Samples.Demo;
using SidecarKit.Schema;
using SidecarKit.Tests.Support;

namespace SidecarKit.Runtime.Tests;

/// <summary>
/// The OpenRPC export (<c>--describe openrpc</c>, <c>rpc.discover</c>): the demo's and the every-type document exactly
/// (the golden files the polyglot suites validate against the OpenRPC meta-schema and generate stubs from), and the rules
/// of the mapping checked against the schema model for every contract in the tests.
/// </summary>
public class OpenRpcExportTests
{
    private static ContractDescriptor D<T>() where T : class, ISidecarContract<T> => T.Descriptor;

    private static readonly ContractDescriptor[] s_everyType = [D<ITypes>(), D<IMoreTypes>(), D<IShapes>(), D<IStreaming>(), D<IReporting>()];

    [Fact]
    public void The_demo_document_is_the_golden_file()
        => AssertGolden("demo.openrpc.json", OpenRpcExporter.Export([D<IDemo>()], [D<IDemoEvents>()]));

    [Fact]
    public void The_every_type_document_is_the_golden_file()
        => AssertGolden("types.openrpc.json", OpenRpcExporter.Export(s_everyType, [D<IParent>()]));

    [Fact]
    public void The_document_is_the_same_text_every_time_and_compact_when_asked()
    {
        string indented = OpenRpcExporter.Export([D<IDemo>()], [D<IDemoEvents>()]);
        string compact = OpenRpcExporter.Export([D<IDemo>()], [D<IDemoEvents>()], indented: false);
        Assert.Equal(indented, OpenRpcExporter.Export([D<IDemo>()], [D<IDemoEvents>()]));
        Assert.DoesNotContain('\n', compact);
        Assert.Equal(Normalize(indented), Normalize(compact));
    }

    // Every method of every contract is there, once, with its kind, its parameters by name and the shape of its result.
    [Fact]
    public void Every_method_is_described_with_its_kind_params_and_result()
    {
        ContractDescriptor[] all = [D<IDemo>(), .. s_everyType];
        using JsonDocument doc = JsonDocument.Parse(OpenRpcExporter.Export(all, [D<IDemoEvents>()]));
        JsonElement methods = doc.RootElement.GetProperty("methods");
        Assert.Equal(all.Sum(c => c.Schema.Methods.Count), methods.GetArrayLength());
        foreach (ContractDescriptor contract in all)
            foreach (MethodSchema m in contract.Schema.Methods)
            {
                JsonElement method = methods.EnumerateArray().Single(e => e.GetProperty("name").GetString() == m.WireName);
                Assert.Equal("by-name", method.GetProperty("paramStructure").GetString());
                Assert.Equal(Lifecycle.ContractShapes.KindName(m.Kind), method.GetProperty("x-sidecarkit-kind").GetString());
                Assert.Equal(m.Parameters.Select(p => p.Name), method.GetProperty("params").EnumerateArray().Select(p => p.GetProperty("name").GetString()));
                Assert.Equal(m.Kind != MethodKind.Notification, method.TryGetProperty("result", out JsonElement result));
                if (m.Kind is MethodKind.ServerStream or MethodKind.DuplexStream)
                {
                    Assert.Equal("count", result.GetProperty("name").GetString());
                    Assert.True(method.TryGetProperty("x-sidecarkit-items", out _), m.WireName + " lacks its items");
                }
                else if (m.Kind == MethodKind.UnaryVoid || (m.Kind == MethodKind.ClientStream && m.Result is null))
                {
                    Assert.Equal("null", result.GetProperty("schema").GetProperty("type").GetString());
                }
                Assert.Equal(m.Input?.Name, method.TryGetProperty("x-sidecarkit-input", out JsonElement input) ? input.GetProperty("name").GetString() : null);
                Assert.Equal(m.Progress is not null, method.TryGetProperty("x-sidecarkit-progress", out _));
            }
    }

    // A parameter is required unless it has a default value or may be null (docs/protocol.md, section 5).
    [Theory]
    [InlineData("types.defaults", "a:True b:False c:False color:False")]
    [InlineData("types.nullableInt", "value:False")]
    [InlineData("types.requiredString", "value:True")]
    [InlineData("streaming.measure", "label:True scale:False")]
    [InlineData("demo.echo", "person:True")]
    public void A_parameter_is_required_unless_it_has_a_default_or_may_be_null(string method, string expected)
    {
        using JsonDocument doc = JsonDocument.Parse(OpenRpcExporter.Export([D<IDemo>(), .. s_everyType], []));
        JsonElement found = doc.RootElement.GetProperty("methods").EnumerateArray().Single(m => m.GetProperty("name").GetString() == method);
        Assert.Equal(expected, string.Join(" ", found.GetProperty("params").EnumerateArray()
            .Select(p => $"{p.GetProperty("name").GetString()}:{p.GetProperty("required").GetBoolean()}")));
    }

    // Two contracts with a Person each, alike but for the Address it holds: both Persons are kept, the second qualified
    // and pointing at its own Address, though the two Persons' own members read the same.
    [Fact]
    public void A_type_whose_referenced_type_differs_is_another_type()
    {
        static ContractDescriptor Contract(string name, params WireField[] address)
        {
            TypeSchema person = new("Person", TypeSchemaKind.Object, [new WireField("name", WireType.Of(WireScalar.String), 1), new WireField("home", WireType.Named("Address"), 2)], []);
            TypeSchema home = new("Address", TypeSchemaKind.Object, address, []);
            var method = new MethodSchema(name + ".get", MethodKind.Unary, [], WireType.Named("Person"));
            return new ContractDescriptor(name, "0000000000000000", [new MethodDescriptor(name, name + ".get", "GetAsync", MethodKind.Unary)], "{}",
                new ContractSchema([method], [home, person]));
        }
        ContractDescriptor first = Contract("first", new WireField("city", WireType.Of(WireScalar.String), 1));
        ContractDescriptor second = Contract("second", new WireField("city", WireType.Of(WireScalar.String), 1), new WireField("zip", WireType.Of(WireScalar.Int32), 2));
        ContractDescriptor third = Contract("third", new WireField("city", WireType.Of(WireScalar.String), 1));
        using JsonDocument doc = JsonDocument.Parse(OpenRpcExporter.Export([first, second, third], []));
        JsonElement schemas = doc.RootElement.GetProperty("components").GetProperty("schemas");
        Assert.Equal(["Address", "Person", "second.Address", "second.Person"], schemas.EnumerateObject().Select(p => p.Name));
        Assert.Equal("#/components/schemas/second.Address", schemas.GetProperty("second.Person").GetProperty("properties").GetProperty("home").GetProperty("$ref").GetString());
        string Result(string method) => doc.RootElement.GetProperty("methods").EnumerateArray().Single(m => m.GetProperty("name").GetString() == method)
            .GetProperty("result").GetProperty("schema").GetProperty("$ref").GetString()!;
        Assert.Equal(("#/components/schemas/Person", "#/components/schemas/second.Person", "#/components/schemas/Person"),
            (Result("first.get"), Result("second.get"), Result("third.get")));   // the third's Person is the first's
    }

    // Every $ref points at a schema or error the document defines: a stub generator never meets a dangling name.
    [Fact]
    public void Every_reference_resolves_within_the_document()
    {
        using JsonDocument doc = JsonDocument.Parse(OpenRpcExporter.Export([D<IDemo>(), .. s_everyType], [D<IDemoEvents>(), D<IParent>()]));
        JsonElement components = doc.RootElement.GetProperty("components");
        var refs = new List<string>();
        Collect(doc.RootElement, refs);
        Assert.NotEmpty(refs);
        foreach (string r in refs)
        {
            string[] parts = r.Split('/');
            Assert.True(parts is ["#", "components", _, _], r);
            Assert.True(components.GetProperty(parts[2]).TryGetProperty(parts[3], out _), $"{r} is not defined");
        }
    }

    // Two contracts that give one name to two different types: the later one is qualified by its contract, and its
    // contract's methods refer to it so; a type both define alike is written once.
    [Fact]
    public void A_name_two_contracts_give_different_types_is_qualified_by_the_contract()
    {
        using JsonDocument doc = JsonDocument.Parse(OpenRpcExporter.Export([D<IDemo>(), D<IShapes>()], []));
        JsonElement schemas = doc.RootElement.GetProperty("components").GetProperty("schemas");
        Assert.True(schemas.TryGetProperty("Shape", out JsonElement demoShape));
        Assert.True(schemas.TryGetProperty("shapes.Shape", out JsonElement testShape));
        Assert.Contains("rectangle", demoShape.GetProperty("x-sidecarkit-variants").EnumerateObject().Select(p => p.Name));
        Assert.DoesNotContain("rectangle", testShape.GetProperty("x-sidecarkit-variants").EnumerateObject().Select(p => p.Name));
        Assert.False(schemas.TryGetProperty("shapes.Circle", out _));   // the same record shape in both: once
        string area = doc.RootElement.GetProperty("methods").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "demo.area")
            .GetProperty("params")[0].GetProperty("schema").GetProperty("$ref").GetString()!;
        Assert.Equal("#/components/schemas/Shape", area);
        Assert.Contains("#/components/schemas/shapes.Shape", doc.RootElement.GetRawText());
    }

    [Fact]
    public void The_fingerprints_and_the_callback_contracts_are_announced()
    {
        using JsonDocument doc = JsonDocument.Parse(OpenRpcExporter.Export([D<IDemo>()], [D<IDemoEvents>()]));
        JsonElement root = doc.RootElement;
        Assert.Equal(D<IDemo>().Fingerprint, root.GetProperty("info").GetProperty("version").GetString());
        Assert.Equal(D<IDemo>().Fingerprint, root.GetProperty("x-sidecarkit-contracts")[0].GetProperty("fingerprint").GetString());
        JsonElement events = root.GetProperty("x-sidecarkit-callbacks").EnumerateArray().Single();
        Assert.Equal(("demoEvents", D<IDemoEvents>().Fingerprint), (events.GetProperty("name").GetString(), events.GetProperty("fingerprint").GetString()));
        Assert.Equal(["demoEvents.progress", "demoEvents.confirm"], events.GetProperty("methods").EnumerateArray().Select(m => m.GetProperty("name").GetString()));
        Assert.Throws<ArgumentException>(() => OpenRpcExporter.Export([], []));
    }

    // [SidecarError]: the method's declared errors come first among its errors, with their codes and messages.
    [Fact]
    public void Declared_errors_are_listed_before_the_protocols()
    {
        Assert.Equal([new SidecarErrorInfo(DemoErrors.DivisionByZero, "division by zero")],
            D<IDemo>().Methods.Single(m => m.WireName == "demo.divide").Errors);
        Assert.Empty(D<IDemo>().Methods.Single(m => m.WireName == "demo.add").Errors);
        using JsonDocument doc = JsonDocument.Parse(OpenRpcExporter.Export([D<IDemo>()], []));
        JsonElement Errors(string name) => doc.RootElement.GetProperty("methods").EnumerateArray().Single(m => m.GetProperty("name").GetString() == name).GetProperty("errors");
        JsonElement divide = Errors("demo.divide");
        Assert.Equal((-32010, "division by zero"), (divide[0].GetProperty("code").GetInt32(), divide[0].GetProperty("message").GetString()));
        Assert.Equal("#/components/errors/MethodNotFound", divide[1].GetProperty("$ref").GetString());
        Assert.Equal(-32011, Errors("demo.work")[0].GetProperty("code").GetInt32());
        Assert.True(Errors("demo.add")[0].TryGetProperty("$ref", out _));
    }

    private static void Collect(JsonElement e, List<string> refs)
    {
        if (e.ValueKind == JsonValueKind.Object)
            foreach (JsonProperty p in e.EnumerateObject())
                if (p.Name == "$ref") refs.Add(p.Value.GetString()!);
                else Collect(p.Value, refs);
        else if (e.ValueKind == JsonValueKind.Array)
            foreach (JsonElement item in e.EnumerateArray()) Collect(item, refs);
    }

    private static string Normalize(string json)
    {
        using JsonDocument doc = JsonDocument.Parse(json);
        return JsonSerializer.Serialize(doc.RootElement);
    }

    // The golden files live with the polyglot suites that read them. To accept a deliberate change:
    // UPDATE_GOLDEN=1 dotnet test tests/Runtime.Tests --filter FullyQualifiedName~OpenRpc, then review the diff.
    private static void AssertGolden(string name, string text)
    {
        string path = Path.Combine(Repository.Root, "tests", "Polyglot", "openrpc", name);
        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, text + "\n");
        }
        Assert.Equal(File.ReadAllText(path).ReplaceLineEndings("\n"), text + "\n");
    }
}
