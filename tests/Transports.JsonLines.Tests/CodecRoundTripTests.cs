using SidecarKit.Rpc;
using SidecarKit.Tests.Support;

namespace SidecarKit.Transports.JsonLines.Tests;

/// <summary>
/// Every supported type goes through the generated proxy, args and codecs, across a real JSON lines connection, to
/// an echo implementation and back.
/// </summary>
public class CodecRoundTripTests() : TypesEchoConnection
{
    public static AllPrimitives SamplePrimitives(bool extremes) => extremes
        ? new AllPrimitives(true, byte.MaxValue, sbyte.MinValue, short.MinValue, ushort.MaxValue, int.MinValue, uint.MaxValue,
            long.MinValue, ulong.MaxValue, float.MaxValue, double.Epsilon, decimal.MaxValue, '\u00e9', "ünïcödé \"quoted\" \\ \n\t ✓ 𝄞",
            [0, 1, 254, 255], Guid.NewGuid(), new DateTime(2024, 2, 29, 23, 59, 59, 999, DateTimeKind.Utc).AddTicks(1234),
            new DateTimeOffset(2020, 1, 2, 3, 4, 5, 678, TimeSpan.FromHours(-7.5)), TimeSpan.FromTicks(-123456789012345))
        : new AllPrimitives(false, 0, 0, 0, 0, 0, 0, 0, 0, 0f, 0d, 0m, 'a', "", [], Guid.Empty, default, default, TimeSpan.Zero);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task All_primitives(bool extremes)
    {
        AllPrimitives value = SamplePrimitives(extremes);
        AllPrimitives back = await Types.PrimitivesAsync(value);
        Assert.Equivalent(value, back, strict: true);
        Assert.Equal(value.DateTime.Kind, back.DateTime.Kind);
        Assert.Equal(value.DateTimeOffset.Offset, back.DateTimeOffset.Offset);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    [InlineData(-0.0)]
    [InlineData(double.MaxValue)]
    [InlineData(double.MinValue)]
    [InlineData(5e-324)]
    [InlineData(0.1)]
    public async Task Doubles_including_non_finite(double value)
    {
        double back = await Types.DoubleAsync(value);
        Assert.Equal(BitConverter.DoubleToInt64Bits(value), BitConverter.DoubleToInt64Bits(back));
    }

    [Theory]
    [InlineData(long.MinValue)]
    [InlineData(long.MaxValue)]
    [InlineData(0L)]
    public async Task Int64_extremes(long value) => Assert.Equal(value, await Types.Int64Async(value));

    [Fact]
    public async Task UInt64_max() => Assert.Equal(ulong.MaxValue, await Types.UInt64Async(ulong.MaxValue));

    [Fact]
    public async Task Large_byte_array()
    {
        byte[] bytes = new byte[1 << 20];
        new Random(7).NextBytes(bytes);
        Assert.Equal(bytes, await Types.BytesAsync(bytes));
    }

    [Fact]
    public async Task Every_collection_shape()
    {
        var value = new Collections(
            [1, -2, int.MaxValue],
            ["a", "", "c"],
            new List<int> { 4, 5 },
            [new Address("1 Main St", "Springfield"), new Address("2 Elm", "Shelbyville")],
            [10L, long.MaxValue],
            new HashSet<string> { "x", "y" },
            [1.5, -2.25],
            new Dictionary<string, int> { ["one"] = 1, [""] = 0, ["ключ"] = 2 },
            new Dictionary<string, Address?> { ["home"] = new("3 Oak", "Ogdenville"), ["none"] = null },
            new Dictionary<string, List<int>> { ["evens"] = [2, 4], ["empty"] = [] },
            [[1, 2], [], [3]],
            [1, null, 3],
            ["p", null]);
        Collections back = await Types.CollectionsAsync(value);
        Assert.Equivalent(value, back, strict: true);
    }

    [Fact]
    public async Task Empty_collections()
    {
        var value = new Collections([], [], new List<int>(), [], [], new List<string>(), [], [], new Dictionary<string, Address?>(),
            new Dictionary<string, List<int>>(), [], [], []);
        Assert.Equivalent(value, await Types.CollectionsAsync(value), strict: true);
    }

    [Fact]
    public async Task Classes_structs_init_only_flags_and_nullable_members()
    {
        var value = new Shapes(
            new MutableClass { Name = "m", Count = 3, Items = [1, 2], Favourite = Color.GreenBlue },
            new Point { X = -1, Y = 2 },
            new ReadOnlyPoint(5, 6),
            new InitOnly { Id = "id-1", Note = "note" },
            new Point { X = 9, Y = 9 },
            Access.Read | Access.Write,
            null);
        Shapes back = await Types.ShapesAsync(value);
        Assert.Equal(value.Mutable.Name, back.Mutable.Name);
        Assert.Equal(value.Mutable.Count, back.Mutable.Count);
        Assert.Equal(value.Mutable.Items, back.Mutable.Items);
        Assert.Equal(value.Mutable.Favourite, back.Mutable.Favourite);
        Assert.Equal(value.Point, back.Point);
        Assert.Equal((5, 6), (back.ReadOnlyPoint.X, back.ReadOnlyPoint.Y));
        Assert.Equal("id-1", back.InitOnly.Id);
        Assert.Equal("note", back.InitOnly.Note);
        Assert.Equal(value.MaybePoint, back.MaybePoint);
        Assert.Equal(Access.Read | Access.Write, back.Access); // not a named member: travels as a number
        Assert.Null(back.Missing);
    }

    [Fact]
    public async Task Nullable_values_and_enums()
    {
        Assert.Null(await Types.NullableIntAsync(null));
        Assert.Equal(-5, await Types.NullableIntAsync(-5));
        Assert.Null(await Types.NullableStringAsync(null));
        Assert.Equal("s", await Types.NullableStringAsync("s"));
        foreach (Color c in Enum.GetValues<Color>()) Assert.Equal(c, await Types.ColorAsync(c));
        Assert.Equal((Color)42, await Types.ColorAsync((Color)42));
        Assert.Null(await Types.MaybeListAsync(null));
        Assert.Equal([1, 2, 3], await Types.MaybeListAsync(Enumerable.Range(1, 3)));
    }

    [Fact]
    public async Task Recursive_types()
    {
        var tree = new Node("root", [new Node("a", [new Node("a1", [])]), new Node("b", [])]);
        Assert.Equivalent(tree, await Types.TreeAsync(tree), strict: true);
    }

    [Fact]
    public async Task Default_parameter_values_apply_when_omitted_on_the_wire()
    {
        Assert.Equal("1|10|null|Blue", await Types.DefaultsAsync(1));
        Assert.Equal("1|2|x|Red", await Types.DefaultsAsync(1, 2, "x", Color.Red));
        // A raw client omitting the optional params gets the declared defaults, not zeros.
        await using var raw = new RawJsonServer(new RpcHandlerTable().AddContract<ITypes>(new EchoTypes()));
        var r = await raw.RoundTripAsync("""{"jsonrpc":"2.0","id":1,"method":"types.defaults","params":{"a":7}}""");
        Assert.Equal("7|10|null|Blue", r.GetProperty("result").GetString());
    }

    [Fact]
    public async Task ValueTask_methods()
    {
        Assert.Equal(42, await Types.ValueTaskAsync(21));
        await Types.NothingAsync();
    }

    [Fact]
    public async Task A_null_where_the_contract_says_non_null_is_invalid_params()
    {
        // The proxy writes what it is given; the receiving side enforces the contract.
        var e = await Assert.ThrowsAsync<SidecarRemoteException>(() => Types.RequiredStringAsync(null!));
        Assert.Equal(RpcErrorCodes.InvalidParams, e.Code);
        Assert.Contains("must not be null", e.Message);
    }

    [Fact]
    public async Task Enum_names_are_camel_case_on_the_wire_and_numbers_are_accepted()
    {
        await using var raw = new RawJsonServer(new RpcHandlerTable().AddContract<ITypes>(new EchoTypes()));
        var byName = await raw.RoundTripAsync("""{"jsonrpc":"2.0","id":1,"method":"types.color","params":{"value":"greenBlue"}}""");
        Assert.Equal("greenBlue", byName.GetProperty("result").GetString());
        var byNumber = await raw.RoundTripAsync("""{"jsonrpc":"2.0","id":2,"method":"types.color","params":{"value":6}}""");
        Assert.Equal("blue", byNumber.GetProperty("result").GetString());
        var unknown = await raw.RoundTripAsync("""{"jsonrpc":"2.0","id":3,"method":"types.color","params":{"value":"purple"}}""");
        Assert.Equal(RpcErrorCodes.InvalidParams, unknown.GetProperty("error").GetProperty("code").GetInt32());
    }

    [Theory]
    [InlineData("4294967297")]
    [InlineData("-1.5")]
    public async Task Enum_numbers_out_of_range_are_invalid_params_not_a_wrap(string number)
    {
        await using var raw = new RawJsonServer(new RpcHandlerTable().AddContract<ITypes>(new EchoTypes()));
        var r = await raw.RoundTripAsync($$$"""{"jsonrpc":"2.0","id":1,"method":"types.color","params":{"value":{{{number}}}}}""");
        Assert.Equal(RpcErrorCodes.InvalidParams, r.GetProperty("error").GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task Missing_non_nullable_init_only_member_is_invalid_params()
    {
        await using var raw = new RawJsonServer(new RpcHandlerTable().AddContract<ITypes>(new EchoTypes()));
        string shapes = """{"mutable":{"name":"m","count":1,"items":[]},"point":{"x":1,"y":2},"readOnlyPoint":{"x":1,"y":2},"initOnly":{},"maybePoint":null,"access":0,"missing":null}""";
        var r = await raw.RoundTripAsync($$$"""{"jsonrpc":"2.0","id":1,"method":"types.shapes","params":{"value":{{{shapes}}}}}""");
        Assert.Equal(RpcErrorCodes.InvalidParams, r.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Contains("'id' is missing", r.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Null_item_in_a_non_nullable_list_names_the_type_plainly()
    {
        await using var raw = new RawJsonServer(new RpcHandlerTable().AddContract<ITypes>(new EchoTypes()));
        string tree = """{"name":"root","children":[null]}""";
        var r = await raw.RoundTripAsync($$$"""{"jsonrpc":"2.0","id":1,"method":"types.tree","params":{"root":{{{tree}}}}}""");
        string message = r.GetProperty("error").GetProperty("message").GetString()!;
        Assert.Contains("List<SidecarKit.Tests.Support.Node>", message);
        Assert.DoesNotContain("&", message);
    }
}
