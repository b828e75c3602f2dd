using SidecarKit.Compatibility;
using SidecarKit.Lifecycle;
using SidecarKit.Schema;
using SidecarKit.Tests.Support;

namespace SidecarKit.Runtime.Tests;

/// <summary>
/// The rules of docs/compatibility.md, one change at a time, in both directions and under each transport's layout:
/// the caller's build against the server's, as the handshake compares them.
/// </summary>
public class CompatibilityRulesTests
{
    private static readonly WireLayout Json = WireLayout.For("jsonl");
    private static readonly WireLayout MessagePack = WireLayout.For("msgpack-unix");
    private static readonly WireLayout Grpc = WireLayout.For("grpc");

    private static WireType T(string text) => WireType.Parse(text);

    private static WireField F(string name, string type, int number, bool optional = false) => new(name, T(type), number, optional);

    private static MethodSchema Request(string name, WireType? result, params WireField[] parameters)
        => new(name, result is null ? MethodKind.UnaryVoid : MethodKind.Unary, parameters, result);

    private static TypeSchema Object(string name, params WireField[] members) => new(name, TypeSchemaKind.Object, members, []);

    private static TypeSchema Enum(string name, params string[] values) => new(name, TypeSchemaKind.Enum, [], values);

    private static ContractComparison Compare(ContractSchema caller, ContractSchema server, WireLayout layout)
        => ContractComparer.Compare(caller, server, [.. server.Methods.Select(m => m.WireName)], layout, "the caller", "the server");

    private static ContractSchema Contract(MethodSchema method, params TypeSchema[] types) => new([method], types);

    // A change from `before` to `after`, compared in both directions: new caller with old server, old caller with new server.
    private static (ContractComparison NewCaller, ContractComparison OldCaller) Both(ContractSchema before, ContractSchema after, WireLayout layout)
        => (Compare(after, before, layout), Compare(before, after, layout));

    [Fact]
    public void The_same_build_has_no_difference()
    {
        ContractSchema schema = D<ITypes>().Schema;
        foreach (WireLayout layout in new[] { Json, MessagePack, Grpc })
            Assert.True(Compare(schema, schema, layout).IsSame);
    }

    [Fact]
    public void Progress_reports_must_read_as_the_callers_type_and_either_side_may_have_none()
    {
        MethodSchema With(string? progress) => new("c.work", MethodKind.Unary, [F("steps", "int32", 1)], T("int32"), Progress: progress is null ? null : T(progress));
        foreach (WireLayout layout in new[] { Json, MessagePack })
        {
            // A server that reports none, or reports nobody asked for: compatible.
            Assert.Empty(Compare(Contract(With("int32")), Contract(With(null)), layout).Breaking);
            Assert.Empty(Compare(Contract(With(null)), Contract(With("int32")), layout).Breaking);
            // Widening as values do; a narrower or other type is breaking, named.
            Assert.Empty(Compare(Contract(With("int64")), Contract(With("int32")), layout).Breaking);
            string breaking = Assert.Single(Compare(Contract(With("int32")), Contract(With("string")), layout).Breaking);
            Assert.Contains("c.work: its progress reports changed type", breaking);
        }
    }

    [Fact]
    public void A_streamed_parameters_items_are_compared_like_values_and_the_kind_must_match()
    {
        MethodSchema Sum(string item, MethodKind kind = MethodKind.ClientStream) => new("c.sum", kind, [], T("int64"), Input: F("values", item, 1));
        Assert.Empty(Compare(Contract(Sum("int32")), Contract(Sum("int64")), Json).Breaking); // the caller writes int32, the server reads int64
        Assert.Contains("changed type", Assert.Single(Compare(Contract(Sum("int64")), Contract(Sum("int32")), Json).Breaking));
        var unary = new MethodSchema("c.sum", MethodKind.Unary, [F("values", "int32[]", 1)], T("int64"));
        Assert.Contains("client stream", Assert.Single(Compare(Contract(Sum("int32")), Contract(unary), Json).Breaking));
    }

    [Fact]
    public void A_method_on_one_side_only_is_compatible_and_listed()
    {
        var v1 = new ContractSchema([Request("c.a", T("int32")), Request("c.old", null)], []);
        var v2 = new ContractSchema([Request("c.a", T("int32")), Request("c.new", T("string"))], []);
        ContractComparison d = Compare(v2, v1, Json);
        Assert.Empty(d.Breaking);
        Assert.Equal(["c.new"], d.MissingOnServer);
        Assert.Equal(["c.old"], d.MissingOnCaller);
    }

    [Theory]
    [InlineData("jsonl")]
    [InlineData("msgpack")]
    [InlineData("grpc")]
    public void An_optional_parameter_added_at_the_end_is_compatible_both_ways(string transport)
    {
        ContractSchema before = Contract(Request("c.find", T("int32"), F("name", "string", 1)));
        ContractSchema after = Contract(Request("c.find", T("int32"), F("name", "string", 1), F("limit", "int32", 2, optional: true)));
        var (newCaller, oldCaller) = Both(before, after, WireLayout.For(transport));
        Assert.Empty(newCaller.Breaking);
        Assert.Equal(["c.find: the server ignores the parameter 'limit' that the caller sends"], newCaller.Notes);
        Assert.Empty(oldCaller.Breaking);
        Assert.Equal(["c.find: the caller does not send the parameter 'limit'; the server uses its default"], oldCaller.Notes);
    }

    [Fact]
    public void A_nullable_parameter_added_may_be_left_out()
    {
        ContractSchema before = Contract(Request("c.f", null, F("a", "int32", 1)));
        ContractSchema after = Contract(Request("c.f", null, F("a", "int32", 1), F("b", "string?", 2)));
        Assert.Empty(Both(before, after, Json).OldCaller.Breaking);
    }

    [Fact]
    public void A_required_parameter_added_breaks_both_ways()
    {
        ContractSchema before = Contract(Request("c.find", T("int32"), F("name", "string", 1)));
        ContractSchema after = Contract(Request("c.find", T("int32"), F("name", "string", 1), F("limit", "int32", 2)));
        var (newCaller, oldCaller) = Both(before, after, Json);
        Assert.Equal(["c.find: the caller sends the required parameter 'limit', which the server does not know"], newCaller.Breaking);
        Assert.Equal(["c.find: the server requires the parameter 'limit', which the caller does not send"], oldCaller.Breaking);
    }

    [Fact]
    public void A_retyped_parameter_or_result_breaks()
    {
        ContractSchema before = Contract(Request("c.get", T("Item"), F("id", "int32", 1)), Object("Item", F("id", "int32", 1)));
        ContractSchema after = Contract(Request("c.get", T("Item"), F("id", "string", 1)), Object("Item", F("id", "guid", 1)));
        ContractComparison d = Compare(before, after, Json);
        Assert.Equal([
            "c.get: the parameter 'id' changed type: the caller writes int32, the server reads string",
            "Item: the member 'id' changed type: the server writes guid, the caller reads int32",
        ], d.Breaking);
    }

    [Fact]
    public void Integers_widen_in_one_direction_only()
    {
        ContractSchema narrow = Contract(Request("c.f", null, F("n", "int32", 1)));
        ContractSchema wide = Contract(Request("c.f", null, F("n", "int64", 1)));
        Assert.Empty(Compare(narrow, wide, Grpc).Breaking); // int32 written, int64 read
        Assert.Equal(["c.f: the parameter 'n' changed type: the caller writes int64, the server reads int32"], Compare(wide, narrow, Grpc).Breaking);
        ContractSchema unsigned = Contract(Request("c.f", null, F("n", "uint64", 1)));
        Assert.NotEmpty(Compare(narrow, unsigned, Json).Breaking); // a signed value cannot become unsigned
    }

    [Fact]
    public void Null_where_the_reader_requires_a_value_breaks()
    {
        ContractSchema before = Contract(Request("c.f", T("string"), F("s", "string", 1)));
        ContractSchema after = Contract(Request("c.f", T("string?"), F("s", "string?", 1)));
        var (newCaller, oldCaller) = Both(before, after, Json);
        Assert.Equal(["c.f: the parameter 's' may be null (string?) as the caller writes it, but the server requires a value (string)"], newCaller.Breaking);
        Assert.Equal(["c.f: the result may be null (string?) as the server writes it, but the caller requires a value (string)"], oldCaller.Breaking);
    }

    [Fact]
    public void A_changed_kind_or_a_result_taken_away_breaks()
    {
        ContractSchema request = Contract(Request("c.f", T("int32")));
        ContractSchema stream = Contract(new MethodSchema("c.f", MethodKind.ServerStream, [], T("int32")));
        ContractSchema none = Contract(Request("c.f", null));
        Assert.Equal(["c.f: the caller calls it as a request, the server serves it as a stream"], Compare(request, stream, Json).Breaking);
        Assert.Equal(["c.f: the caller expects a result of type int32, the server returns none"], Compare(request, none, Json).Breaking);
        Assert.Empty(Compare(none, request, Json).Breaking); // a caller that expects nothing ignores a result
    }

    [Theory]
    [InlineData("jsonl")]
    [InlineData("msgpack")]
    [InlineData("grpc")]
    public void An_optional_member_is_compatible_a_required_one_only_towards_the_old_reader(string transport)
    {
        MethodSchema echo = Request("c.echo", T("Item"), F("item", "Item", 1));
        ContractSchema before = Contract(echo, Object("Item", F("id", "int32", 1)));
        ContractSchema optional = Contract(echo, Object("Item", F("id", "int32", 1), F("color", "string?", 2, optional: true)));
        ContractSchema required = Contract(echo, Object("Item", F("id", "int32", 1), F("owner", "string", 2)));
        WireLayout layout = WireLayout.For(transport);
        Assert.Empty(Both(before, optional, layout).NewCaller.Breaking);
        Assert.Empty(Both(before, optional, layout).OldCaller.Breaking);
        // The item goes both ways in echo: the new side reads what the old one never writes.
        Assert.Equal(["Item: the caller requires the member 'owner', which the server does not send"], Both(before, required, layout).NewCaller.Breaking);
        Assert.Equal(["Item: the server requires the member 'owner', which the caller does not send"], Both(before, required, layout).OldCaller.Breaking);
    }

    [Fact]
    public void A_rename_breaks_where_names_travel_and_a_new_number_where_numbers_do()
    {
        MethodSchema echo = Request("c.echo", T("Item"), F("item", "Item", 1));
        ContractSchema before = Contract(echo, Object("Item", F("id", "int32", 1), F("name", "string", 2)));
        ContractSchema renamed = Contract(echo, Object("Item", F("id", "int32", 1), F("label", "string", 2)));
        ContractSchema renumbered = Contract(echo, Object("Item", F("id", "int32", 1), F("name", "string", 7)));

        Assert.Contains("Item: the server requires the member 'label', which the caller does not send", Compare(before, renamed, Json).Breaking);
        Assert.Contains("Item: the server requires the member 'label', which the caller does not send", Compare(before, renamed, MessagePack).Breaking);
        Assert.Empty(Compare(before, renamed, Grpc).Breaking); // the number is what travels

        Assert.Empty(Compare(before, renumbered, Json).Breaking);
        Assert.Empty(Compare(before, renumbered, MessagePack).Breaking);
        Assert.Contains("Item: the member 'name' is field 7 for the server but field 2 for the caller; keep its number (pin it with [SidecarField])",
            Compare(before, renumbered, Grpc).Breaking);
    }

    [Fact]
    public void MessagePack_finds_parameters_by_position()
    {
        ContractSchema before = Contract(Request("c.f", null, F("a", "int32", 1), F("b", "int32", 2)));
        ContractSchema swapped = Contract(Request("c.f", null, F("b", "int32", 1), F("a", "int32", 2)));
        ContractSchema renamed = Contract(Request("c.f", null, F("x", "int32", 1), F("b", "int32", 2)));
        Assert.Empty(Compare(before, swapped, Json).Breaking);
        Assert.Contains("c.f: the parameter 'b' is at position 1 for the server but at position 2 for the caller; add parameters at the end",
            Compare(before, swapped, MessagePack).Breaking);
        Assert.Empty(Compare(before, renamed, MessagePack).Breaking); // by position, a parameter's name does not travel
        Assert.NotEmpty(Compare(before, renamed, Json).Breaking);
    }

    [Fact]
    public void An_enum_value_added_is_compatible_and_noted_and_a_type_rename_is_invisible()
    {
        ContractSchema before = Contract(Request("c.f", T("Color"), F("c", "Color", 1)), Enum("Color", "red", "green"));
        ContractSchema after = Contract(Request("c.f", T("Colour"), F("c", "Colour", 1)), Enum("Colour", "red", "green", "blue"));
        var (newCaller, oldCaller) = Both(before, after, Json);
        Assert.Empty(newCaller.Breaking);
        Assert.Equal(["Color: the server does not know the value blue of the caller; receiving one is an error naming it"], newCaller.Notes);
        Assert.Empty(oldCaller.Breaking);
        Assert.Equal(["Color: the caller does not know the value blue of the server; receiving one is an error naming it"], oldCaller.Notes);
    }

    [Fact]
    public void An_enum_that_became_an_object_breaks_and_recursive_types_end()
    {
        ContractSchema before = Contract(Request("c.f", null, F("n", "Node", 1)), Object("Node", F("next", "Node?", 1, optional: true), F("kind", "Kind", 2)), Enum("Kind", "a"));
        ContractSchema after = Contract(Request("c.f", null, F("n", "Node", 1)), Object("Node", F("next", "Node?", 1, optional: true), F("kind", "Kind", 2)), Object("Kind"));
        Assert.Equal(["Node: the member 'kind': the caller's Kind is an enum, the server's Kind an object"], Compare(before, after, Json).Breaking);
        Assert.Empty(Compare(before, before, Json).Breaking);
    }

    [Fact]
    public void Lists_and_maps_compare_their_elements()
    {
        ContractSchema before = Contract(Request("c.f", T("map<string,int32[]>")));
        ContractSchema after = Contract(Request("c.f", T("map<string,string[]>")));
        Assert.Equal(["c.f: the result's values's items changed type: the server writes string, the caller reads int32"], Compare(before, after, Json).Breaking);
    }

    private static TypeSchema Polymorphic(string name, WireField[] variants, params WireField[] members)
        => new(name, TypeSchemaKind.Object, members, [], Variants: variants);

    // Shape with the cases circle (101) and, after, square (102) too; Circle and Square as their own objects.
    private static ContractSchema Shapes(bool withSquare, string circleDiscriminator = "circle", int circleTag = 101)
        => Contract(Request("c.draw", T("Shape"), F("shape", "Shape", 1)),
            Polymorphic("Shape", withSquare ? [F(circleDiscriminator, "Circle", circleTag), F("square", "Square", 102)] : [F(circleDiscriminator, "Circle", circleTag)]),
            Object("Circle", F("name", "string", 1), F("radius", "float64", 2)),
            Object("Square", F("name", "string", 1), F("side", "float64", 2)));

    [Theory]
    [InlineData("jsonl")]
    [InlineData("msgpack")]
    [InlineData("grpc")]
    public void A_derived_type_added_is_compatible_as_long_as_it_is_not_sent_and_noted(string transport)
    {
        var (newCaller, oldCaller) = Both(Shapes(withSquare: false), Shapes(withSquare: true), WireLayout.For(transport));
        Assert.Empty(newCaller.Breaking);
        Assert.Equal(["Shape: the server does not know the derived type 'square' of the caller; receiving one is an error naming it"], newCaller.Notes);
        Assert.Empty(oldCaller.Breaking);
        Assert.Equal(["Shape: the caller does not know the derived type 'square' of the server; receiving one is an error naming it"], oldCaller.Notes);
    }

    [Fact]
    public void A_case_is_found_by_discriminator_where_names_travel_and_by_tag_in_protobuf_and_its_members_compared()
    {
        // A discriminator renamed: unknown by name (JSON, MessagePack), the same case by its tag (protobuf).
        ContractComparison json = Compare(Shapes(false, "round"), Shapes(false), Json);
        // (the parameter from the caller to the server, the result back)
        Assert.Equal(["Shape: the server does not know the derived type 'round' of the caller; receiving one is an error naming it",
            "Shape: the caller does not know the derived type 'circle' of the server; receiving one is an error naming it"], json.Notes);
        Assert.True(Compare(Shapes(false, "round"), Shapes(false), Grpc).IsSame);
        // A tag changed: the other way round.
        Assert.True(Compare(Shapes(false, circleTag: 110), Shapes(false), Json).IsSame);
        Assert.Equal(2, Compare(Shapes(false, circleTag: 110), Shapes(false), Grpc).Notes.Count);

        // A case's members follow the rules of any object's.
        ContractSchema retyped = Contract(Request("c.draw", T("Shape"), F("shape", "Shape", 1)),
            Polymorphic("Shape", [F("circle", "Circle", 101)]), Object("Circle", F("name", "string", 1), F("radius", "string", 2)));
        Assert.Equal(["Shape (the derived type 'circle'): the member 'radius' changed type: the caller writes string, the server reads float64",
            "Shape (the derived type 'circle'): the member 'radius' changed type: the server writes float64, the caller reads string"],
            Compare(retyped, Shapes(false), Json).Breaking);
    }

    [Fact]
    public void A_base_polymorphic_on_one_side_only_breaks()
    {
        ContractSchema plain = Contract(Request("c.draw", T("Shape"), F("shape", "Shape", 1)), Object("Shape", F("name", "string", 1)),
            Object("Circle", F("name", "string", 1), F("radius", "float64", 2)), Object("Square", F("name", "string", 1), F("side", "float64", 2)));
        Assert.Equal(["c.draw: the parameter 'shape': the caller's Shape declares derived types ([SidecarDerivedType]), the server's Shape does not: their values are laid out differently",
            "c.draw: the result: the caller's Shape declares derived types ([SidecarDerivedType]), the server's Shape does not: their values are laid out differently"],
            Compare(Shapes(false), plain, Json).Breaking);
        Assert.Equal(2, Compare(plain, Shapes(false), Grpc).Breaking.Count);
    }

    [Fact]
    public void Names_alone_compare_presence_only()
    {
        ContractSchema mine = Contract(Request("c.a", T("int32")));
        ContractComparison d = ContractComparer.Compare(mine, null, ["c.b"], Json, "the caller", "the server");
        Assert.False(d.ShapesCompared);
        Assert.Equal(["c.a"], d.MissingOnServer);
        Assert.Equal(["c.b"], d.MissingOnCaller);
        Assert.Empty(d.Breaking);
    }

    public static TheoryData<string> Contracts => ["types", "moreTypes", "spec", "pinned", "engine", "advanced", "shapes"];

    [Theory]
    [MemberData(nameof(Contracts))]
    public void The_announced_shape_reads_back_as_the_schema_it_came_from(string name)
    {
        ContractDescriptor contract = name switch
        {
            "types" => D<ITypes>(),
            "spec" => D<ISpec>(),
            "pinned" => D<IPinned>(),
            "moreTypes" => D<IMoreTypes>(),
            "advanced" => D<IAdvancedOps>(),
            "shapes" => D<IShapes>(),
            _ => D<IEngine>(),
        };
        var ready = new SidecarReadyInfo("1", "1.0", 1, null, "jsonl", null, [SidecarContractInfo.From(contract)], [SidecarContractInfo.From(contract)]);
        SidecarReadyInfo parsed = SidecarReadyInfo.Parse(ready.ToJson());
        foreach (SidecarContractInfo info in new[] { parsed.Contracts![0], parsed.Callbacks![0] })
        {
            Assert.Equal(contract.Fingerprint, info.Fingerprint);
            ContractSchema schema = ContractShapes.ToSchema(info)!;
            Assert.Equal(contract.Schema.Methods, schema.Methods, (a, b) => a.WireName == b.WireName && a.Kind == b.Kind
                && Equals(a.Result, b.Result) && a.Parameters.SequenceEqual(b.Parameters));
            Assert.Equal(contract.Schema.Types, schema.Types, (a, b) => a.Name == b.Name && a.Kind == b.Kind
                && a.Members.SequenceEqual(b.Members) && a.Values.SequenceEqual(b.Values) && a.VariantCases.SequenceEqual(b.VariantCases));
            Assert.True(Compare(contract.Schema, schema, Grpc).IsSame);
        }
    }

    [Fact]
    public void A_hand_written_announcement_of_names_needs_no_fingerprint()
    {
        SidecarReadyInfo info = SidecarReadyInfo.Parse("""
            {"version":"2.1","protocolVersion":"1.0","pid":7,"contracts":[{"name":"demo","methods":["demo.add",{"name":"demo.echo"}],"future":{"x":1}}]}
            """);
        SidecarContractInfo demo = Assert.Single(info.Contracts!);
        Assert.Null(demo.Fingerprint);
        Assert.Equal(["demo.add", "demo.echo"], demo.Methods!.Select(m => m.Name));
        Assert.Null(ContractShapes.ToSchema(demo)); // names only: presence is all that can be compared
        Assert.Null(info.Callbacks);
    }

    [Fact]
    public void A_shape_without_numbers_numbers_by_position()
    {
        SidecarReadyInfo info = SidecarReadyInfo.Parse("""
            {"version":"1","protocolVersion":"1.0","pid":7,"contracts":[{"name":"c","methods":[{"name":"c.f","kind":"request","params":[{"name":"a","type":"int32"},{"name":"b","type":"Item?","optional":true}],"result":"map<string,Item[]>"}],
             "types":[{"name":"Item","kind":"object","members":[{"name":"id","type":"guid"}]},{"name":"E","kind":"enum","values":["x"]}]}]}
            """);
        ContractSchema schema = ContractShapes.ToSchema(info.Contracts![0])!;
        MethodSchema f = Assert.Single(schema.Methods);
        Assert.Equal([new WireField("a", T("int32"), 1), new WireField("b", WireType.NullableOf(WireType.Named("Item")), 2, true)], f.Parameters);
        Assert.Equal(WireType.MapOf(WireType.ListOf(WireType.Named("Item"))), f.Result);
        Assert.Equal(["x"], schema.FindType("E")!.Values);
    }

    [Theory]
    [InlineData("""{"contracts":[{"methods":[]}]}""")]                                                   // no name
    [InlineData("""{"contracts":[{"name":"c","methods":[{"name":"c.f","kind":"push","params":[]}]}]}""")]      // unknown kind: read, refused by ToSchema
    [InlineData("""{"contracts":[{"name":"c","methods":[{"name":"c.f","kind":"request","params":[{"name":"a"}]}]}]}""")] // a field without its type
    public void A_malformed_announcement_is_a_clear_error(string json)
    {
        try
        {
            SidecarReadyInfo info = SidecarReadyInfo.Parse(json);
            Assert.Throws<FormatException>(() => ContractShapes.ToSchema(info.Contracts![0]));
        }
        catch (FormatException e)
        {
            Assert.StartsWith("Not a ready payload: ", e.Message);
        }
    }

    [Theory]
    [InlineData("int32", "int32")]
    [InlineData("string?", "string?")]
    [InlineData("Person[]", "Person[]")]
    [InlineData("map<string,Person?[]>", "map<string,Person?[]>")]
    [InlineData("datetimeoffset?", "datetimeoffset?")]
    [InlineData("map<int32,string>", "map<int32,string>")]
    [InlineData("map<uint64,map<guid,Color?>>", "map<uint64,map<guid,Color?>>")]
    [InlineData("map<Color,int32[]>", "map<Color,int32[]>")]
    public void Wire_types_read_back_as_they_are_written(string text, string expected)
        => Assert.Equal(expected, WireType.Parse(text).ToString());

    [Theory]
    [InlineData("map<float64,string>")]
    [InlineData("map<string?,string>")]
    [InlineData("map<int32[],string>")]
    [InlineData("map<datetime,string>")]
    [InlineData("map<string>")]
    public void A_map_whose_keys_cannot_be_keys_is_refused(string text)
        => Assert.Throws<FormatException>(() => WireType.Parse(text));

    [Fact]
    public void Map_keys_are_compared_like_values()
    {
        Assert.NotEqual(WireType.Parse("map<int32,string>"), WireType.Parse("map<string,string>"));
        Assert.Equal(WireType.MapOf(WireType.Of(WireScalar.String)), WireType.Parse("map<string,string>"));
        // The caller (first) reads the result the server (second) writes: int32 keys widen to int64, not to strings.
        Assert.Empty(Compare(Contract(Request("c.f", T("map<int64,string>"))), Contract(Request("c.f", T("map<int32,string>"))), Json).Breaking);
        Assert.Equal(["c.f: the result's keys changed type: the server writes int32, the caller reads string"],
            Compare(Contract(Request("c.f", T("map<string,string>"))), Contract(Request("c.f", T("map<int32,string>"))), Json).Breaking);
    }

    [Theory]
    [InlineData("1.0", true)]
    [InlineData("1.7", true)]
    [InlineData("", true)]
    [InlineData(null, true)]
    [InlineData("2.0", false)]
    [InlineData("0.9", false)]
    [InlineData("10", false)]
    public void A_protocol_of_the_same_major_version_is_spoken(string? version, bool spoken)
        => Assert.Equal(spoken, SidecarReadyInfo.SpeaksProtocol(version));

    private static ContractDescriptor D<T>() where T : class, ISidecarContract<T> => T.Descriptor;
}
