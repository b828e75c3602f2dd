using System.Text.Json;
using SidecarKit.Schema;
using SidecarKit.Tests.Support;

namespace SidecarKit.Runtime.Tests;

/// <summary>
/// The generator emits one schema model per contract (<see cref="ContractDescriptor.Schema"/>, object construction) and
/// the description JSON whose hash is the fingerprint: both must say the same thing, parameter for parameter, member
/// for member, with the field numbers the one rule gives (the pin, else the position from 1).
/// </summary>
public class ContractSchemaTests
{
    public static TheoryData<string> Contracts => ["types", "moreTypes", "spec", "pinned", "engine", "basic", "advanced"];

    private static ContractDescriptor Descriptor(string name) => name switch
    {
        "types" => D<ITypes>(),
        "moreTypes" => D<IMoreTypes>(),
        "spec" => D<ISpec>(),
        "pinned" => D<IPinned>(),
        "engine" => D<IEngine>(),
        "basic" => D<IBasicOps>(),
        "advanced" => D<IAdvancedOps>(),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static ContractDescriptor D<T>() where T : class, ISidecarContract<T> => T.Descriptor;

    [Theory]
    [MemberData(nameof(Contracts))]
    public void The_schema_and_the_description_agree(string name)
    {
        ContractDescriptor contract = Descriptor(name);
        using JsonDocument doc = JsonDocument.Parse(contract.DescriptionJson);
        JsonElement root = doc.RootElement;

        JsonElement[] methods = [.. root.GetProperty("methods").EnumerateArray()];
        Assert.Equal(methods.Length, contract.Schema.Methods.Count);
        for (int i = 0; i < methods.Length; i++)
        {
            MethodSchema m = contract.Schema.Methods[i];
            Assert.Equal(methods[i].GetProperty("name").GetString(), m.WireName);
            Assert.Equal(contract.Methods[i].Result, m.Result);   // the method descriptor says the same
            string? result = methods[i].TryGetProperty("result", out JsonElement r) ? r.GetString()
                : methods[i].TryGetProperty("items", out JsonElement it) ? it.GetString() : null;
            Assert.Equal(result, m.Result?.ToString());
            AssertFields(methods[i].GetProperty("params"), m.Parameters, $"{m.WireName} params", members: false);
        }

        JsonProperty[] types = [.. root.GetProperty("types").EnumerateObject()];
        Assert.Equal(types.Length, contract.Schema.Types.Count);
        for (int i = 0; i < types.Length; i++)
        {
            TypeSchema t = contract.Schema.Types[i];
            Assert.Equal(types[i].Name, t.Name);
            string kind = types[i].Value.GetProperty("kind").GetString()!;
            Assert.Equal(kind == "enum" ? TypeSchemaKind.Enum : TypeSchemaKind.Object, t.Kind);
            if (t.Kind == TypeSchemaKind.Enum)
                Assert.Equal(types[i].Value.GetProperty("values").EnumerateArray().Select(v => v.GetString()!), t.Values);
            else
                AssertFields(types[i].Value.GetProperty("members"), t.Members, t.Name, members: true);
        }
    }

    // A parameter is optional when described so; a member when it is not described as required.
    private static void AssertFields(JsonElement described, IReadOnlyList<WireField> fields, string what, bool members)
    {
        JsonElement[] items = [.. described.EnumerateArray()];
        Assert.True(items.Length == fields.Count, $"{what}: {items.Length} described, {fields.Count} in the schema");
        for (int i = 0; i < items.Length; i++)
        {
            Assert.Equal(items[i].GetProperty("name").GetString(), fields[i].Name);
            Assert.Equal(items[i].GetProperty("type").GetString(), fields[i].Type.ToString());
            int number = items[i].TryGetProperty("field", out JsonElement n) ? n.GetInt32() : i + 1;
            Assert.True(number == fields[i].Number, $"{what}.{fields[i].Name}: field {number} described, {fields[i].Number} in the schema");
            bool optional = members
                ? !(items[i].TryGetProperty("required", out JsonElement r) && r.GetBoolean())
                : items[i].TryGetProperty("optional", out JsonElement o) && o.GetBoolean();
            Assert.True(optional == fields[i].IsOptional, $"{what}.{fields[i].Name}: optional {optional} described, {fields[i].IsOptional} in the schema");
        }
    }

    [Fact]
    public void An_inherited_contract_describes_its_base_methods_under_its_own_name_first()
    {
        ContractDescriptor advanced = D<IAdvancedOps>();
        Assert.Equal(["advanced.ping", "advanced.count", "advanced.note", "advanced.add"], advanced.Schema.Methods.Select(m => m.WireName));
        Assert.Equal(["advanced.ping", "advanced.count", "advanced.note", "advanced.add"], advanced.Methods.Select(m => m.WireName));
        using JsonDocument doc = JsonDocument.Parse(advanced.DescriptionJson);
        Assert.Equal("advanced", doc.RootElement.GetProperty("contract").GetString());
        Assert.Equal(["basic.ping", "basic.count"], D<IBasicOps>().Schema.Methods.Select(m => m.WireName));
        Assert.NotEqual(D<IBasicOps>().Fingerprint, advanced.Fingerprint);
    }

    [Fact]
    public void Types_print_as_the_description_writes_them()
    {
        WireType person = WireType.Named("Person");
        Assert.Equal("int32", WireType.Of(WireScalar.Int32).ToString());
        Assert.Equal("datetimeoffset?", WireType.NullableOf(WireType.Of(WireScalar.DateTimeOffset)).ToString());
        Assert.Equal("Person[]", WireType.ListOf(person).ToString());
        Assert.Equal("map<string,Person?[]>", WireType.MapOf(WireType.ListOf(WireType.NullableOf(person))).ToString());
        Assert.Equal(WireType.NullableOf(person), WireType.NullableOf(WireType.NullableOf(person)));
        Assert.Equal(WireType.ListOf(person), WireType.ListOf(WireType.Named("Person")));
        Assert.NotEqual(WireType.ListOf(person), WireType.MapOf(person));
        Assert.Same(WireType.Of(WireScalar.Bytes), WireType.Of(WireScalar.Bytes));
    }

    [Fact]
    public void Every_scalar_name_reads_back_as_itself()
    {
        foreach (WireScalar scalar in Enum.GetValues<WireScalar>())
        {
            string name = WireType.NameOf(scalar);
            Assert.Equal(scalar.ToString().ToLowerInvariant(), name);   // the generator writes the enum's name, lower-cased
            Assert.Same(WireType.Of(scalar), WireType.Parse(name));
        }
        Assert.Equal(["date", "time", "int128", "uint128", "float16"],
            new[] { WireScalar.Date, WireScalar.Time, WireScalar.Int128, WireScalar.UInt128, WireScalar.Float16 }.Select(WireType.NameOf));
    }

    [Fact]
    public void The_new_types_are_described_by_their_wire_types()
    {
        string description = D<IMoreTypes>().DescriptionJson;
        foreach (string member in new[]
        {
            """{"name":"date","type":"date","required":true}""", """{"name":"time","type":"time","required":true}""",
            """{"name":"int128","type":"int128","required":true}""", """{"name":"uInt128","type":"uint128","required":true}""",
            """{"name":"half","type":"float16","required":true}""", """{"name":"memory","type":"bytes","required":true}""",
            """{"name":"uri","type":"string","required":true}""", """{"name":"version","type":"string","required":true}""",
            """{"name":"maybeDate","type":"date?"}""", """{"name":"maybeHalf","type":"float16?"}""",
            """{"name":"set","type":"int32[]","required":true}""", """{"name":"readOnlySet","type":"guid[]","required":true}""",
            """{"name":"immutableArray","type":"int32[]","required":true}""", """{"name":"immutableList","type":"Address[]","required":true}""",
            """{"name":"immutableDictionary","type":"map<string,int32>","required":true}""", """{"name":"maybeImmutableArray","type":"string[]?"}""",
            """{"name":"nested","type":"float16[][]","required":true}""", """{"name":"mapOfSets","type":"map<string,string[]>","required":true}""",
            """{"name":"byInt","type":"map<int32,string>","required":true}""", """{"name":"byULong","type":"map<uint64,int32>","required":true}""",
            """{"name":"byGuid","type":"map<guid,Address>","required":true}""", """{"name":"byColor","type":"map<Color,int32>","required":true}""",
            """{"name":"byAccess","type":"map<Access,string?>","required":true}""", """{"name":"nested","type":"map<int8,map<guid,Color>>","required":true}""",
        })
            Assert.Contains(member, description);
        WireType keyed = D<IMoreTypes>().Schema.FindType("KeyedMaps")!.Members[0].Type;
        Assert.Equal((WireTypeKind.Map, "int32", "string"), (keyed.Kind, keyed.Key!.ToString(), keyed.Element!.ToString()));
    }
}
