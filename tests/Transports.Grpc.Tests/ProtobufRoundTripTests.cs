using Google.Protobuf;
using SidecarKit.Rpc;
using SidecarKit.Samples.Demo;
using SidecarKit.Tests.Support;
using Address = SidecarKit.Tests.Support.Address;
using DemoAddress = SidecarKit.Samples.Demo.Address;

namespace SidecarKit.Transports.Grpc.Tests;

/// <summary>The generated codecs in Protocol Buffers: every supported type through the bytes and back.</summary>
public class ProtobufRoundTripTests
{
    private readonly ProtobufLoopback _loopback = new(new RpcHandlerTable().AddContract<ITypes>(new EchoTypes()));

    private ITypes Types => _loopback.GetClient<ITypes>();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task All_primitives(bool extremes)
    {
        AllPrimitives value = extremes
            ? new AllPrimitives(true, byte.MaxValue, sbyte.MinValue, short.MinValue, ushort.MaxValue, int.MinValue, uint.MaxValue, long.MinValue, ulong.MaxValue,
                float.MaxValue, double.NaN, decimal.MaxValue, 'é', "ünïcödé ✓ 𝄞", [0, 255], Guid.NewGuid(),
                new DateTime(1815, 12, 10, 1, 2, 3, DateTimeKind.Utc).AddTicks(4567), new DateTimeOffset(9999, 12, 31, 23, 59, 59, TimeSpan.Zero).AddTicks(9_999_999),
                TimeSpan.FromDays(-3_652_000).Add(TimeSpan.FromTicks(-1)))
            : new AllPrimitives(false, 0, 0, 0, 0, 0, 0, 0, 0, -0f, -0d, 0m, 'a', "", [], Guid.Empty, DateTime.UnixEpoch, DateTimeOffset.UnixEpoch, TimeSpan.Zero);
        AllPrimitives back = await Types.PrimitivesAsync(value);
        Assert.Equivalent(value, back, strict: true);
        Assert.Equal(BitConverter.DoubleToInt64Bits(value.Double), BitConverter.DoubleToInt64Bits(back.Double));
    }

    [Fact]
    public async Task Defaults_are_left_out_and_read_back()
    {
        var zero = new AllPrimitives(false, 0, 0, 0, 0, 0, 0, 0, 0, 0f, 0d, 0m, 'a', "", [], Guid.Empty, DateTime.UnixEpoch, DateTimeOffset.UnixEpoch, TimeSpan.Zero);
        Assert.Equivalent(zero, await Types.PrimitivesAsync(zero), strict: true);
        // proto3: zero numbers, false, "" and empty bytes are not written; decimal and Guid are strings ("0", the zero
        // GUID), char 'a'; the Timestamps and the Duration are messages, present even when empty.
        var fields = Fields(_loopback.Requests[^1]).Single();
        Assert.Equal(1, fields.Number);   // EchoRequest.value
        Assert.Equal(new[] { 12, 13, 16, 17, 18, 19 }, Fields(fields.Payload!).Select(f => f.Number));
    }

    [Fact]
    public async Task Collections_shapes_enums_and_nulls()
    {
        var value = new Collections([1, -2], ["a", ""], new List<int> { 3 }, [new Address("s", "c")], [long.MaxValue], new List<string> { "x" }, [1.5],
            new Dictionary<string, int> { ["k"] = 1 }, new Dictionary<string, Address?> { ["none"] = null, ["some"] = new("a", "b") }, new Dictionary<string, List<int>> { ["l"] = [1, 2], ["e"] = [] },
            [[1], [], [2, 3]], [1, null, 0], ["p", null, ""]);
        Assert.Equivalent(value, await Types.CollectionsAsync(value), strict: true);
        Assert.Equal(Color.GreenBlue, await Types.ColorAsync(Color.GreenBlue));
        Assert.Null(await Types.NullableIntAsync(null));
        Assert.Equal(0, await Types.NullableIntAsync(0));
        Assert.Null(await Types.NullableStringAsync(null));
        Assert.Equal("", await Types.NullableStringAsync(""));
        Assert.Equal("", await Types.RequiredStringAsync(""));
        Assert.Equal("1|10|null|Blue", await Types.DefaultsAsync(1));
        Assert.Equal("0|0|x|Red", await Types.DefaultsAsync(0, 0, "x", Color.Red));
        Assert.Equal(42, await Types.ValueTaskAsync(21));
        await Types.NothingAsync();
        Assert.Empty(_loopback.Responses[^1]);
        Assert.Equal(new[] { 1, 2 }, await Types.MaybeListAsync([1, 2]));
        Assert.Empty((await Types.MaybeListAsync(null))!);   // proto3 cannot tell a null list from an empty one
        var tree = new Node("root", [new Node("a", [new Node("b", [])]), new Node("c", [])]);
        Assert.Equivalent(tree, await Types.TreeAsync(tree), strict: true);
        byte[] big = new byte[1 << 20];
        new Random(3).NextBytes(big);
        Assert.Equal(big, await Types.BytesAsync(big));
        Assert.Equal(long.MinValue, await Types.Int64Async(long.MinValue));
        Assert.Equal(ulong.MaxValue, await Types.UInt64Async(ulong.MaxValue));
        Assert.Equal(double.NegativeInfinity, await Types.DoubleAsync(double.NegativeInfinity));
    }

    [Fact]
    public async Task Repeated_fields_and_maps_interleaved_with_other_fields_are_read_whole()
    {
        // Protobuf lets a repeated field's occurrences come apart, packed or not, with other fields between them, and
        // a map's entries too (a later key wins). Collections as Google.Protobuf writes it by hand: Array = 1,
        // List = 2, Dictionary = 8, Nested = 11 (Int32List wrappers).
        byte[] collections = Message(w =>
        {
            Packed(w, 1, 1, 2);
            w.WriteTag(2, WireFormat.WireType.LengthDelimited); w.WriteString("a");
            w.WriteTag(1, WireFormat.WireType.Varint); w.WriteInt32(3);
            Entry(w, 8, "k1", 1);
            w.WriteTag(2, WireFormat.WireType.LengthDelimited); w.WriteString("b");
            Packed(w, 1, 4);
            Entry(w, 8, "k2", 2);
            w.WriteTag(11, WireFormat.WireType.LengthDelimited);
            w.WriteBytes(ByteString.CopyFrom(Message(l =>
            {
                Packed(l, 1, 7);
                l.WriteTag(99, WireFormat.WireType.Varint); l.WriteInt32(5);   // unknown: passed over
                l.WriteTag(1, WireFormat.WireType.Varint); l.WriteInt32(8);
            })));
            Entry(w, 8, "k1", 9);
            w.WriteTag(11, WireFormat.WireType.LengthDelimited); w.WriteBytes(ByteString.Empty);
            w.WriteTag(2, WireFormat.WireType.LengthDelimited); w.WriteString("c");
        });
        _loopback.NextRequest = Message(w => { w.WriteTag(1, WireFormat.WireType.LengthDelimited); w.WriteBytes(ByteString.CopyFrom(collections)); });
        Collections empty = new([], [], [], [], [], [], [], [], new Dictionary<string, Address?>(), new Dictionary<string, List<int>>(), [], [], []);
        Collections read = await Types.CollectionsAsync(empty);

        Assert.Equal(new[] { 1, 2, 3, 4 }, read.Array);
        Assert.Equal(new[] { "a", "b", "c" }, read.List);
        Assert.Equal(new Dictionary<string, int> { ["k1"] = 9, ["k2"] = 2 }, read.Dictionary);
        Assert.Equal(2, read.Nested.Count);
        Assert.Equal(new[] { 7, 8 }, read.Nested[0]);
        Assert.Empty(read.Nested[1]);
        Assert.Empty(read.IList);
        Assert.Empty(read.ReadOnlyDictionary);

        static void Packed(CodedOutputStream w, int field, params int[] values)
        {
            w.WriteTag(field, WireFormat.WireType.LengthDelimited);
            w.WriteLength(values.Sum(CodedOutputStream.ComputeInt32Size));
            foreach (int v in values) w.WriteInt32(v);
        }

        static void Entry(CodedOutputStream w, int field, string key, int value)
        {
            w.WriteTag(field, WireFormat.WireType.LengthDelimited);
            w.WriteBytes(ByteString.CopyFrom(Message(e =>
            {
                e.WriteTag(1, WireFormat.WireType.LengthDelimited); e.WriteString(key);
                e.WriteTag(2, WireFormat.WireType.Varint); e.WriteInt32(value);
            })));
        }
    }

    private static byte[] Message(Action<CodedOutputStream> write)
    {
        var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        write(output);
        output.Flush();
        return stream.ToArray();
    }

    [Fact]
    public async Task Shapes_round_trip()
    {
        var value = new Shapes(new MutableClass { Name = "m", Count = 2, Items = [1, 2, 3], Favourite = Color.Red }, new Point { X = -1, Y = 0 },
            new ReadOnlyPoint(5, 6), new InitOnly { Id = "id", Note = null }, null, Access.Read | Access.Write, null);
        Assert.Equivalent(value, await Types.ShapesAsync(value), strict: true);
    }

    [Fact]
    public async Task Enum_values_without_a_name_travel_as_their_digits_in_the_string_field()
    {
        Assert.Equal((Color)42, await Types.ColorAsync((Color)42));
        Field value = Assert.Single(Fields(_loopback.Requests[^1]));
        Assert.Equal((1, 2, "42"), (value.Number, value.WireType, System.Text.Encoding.UTF8.GetString(value.Payload!)));
        Assert.Equal(Color.GreenBlue, await Types.ColorAsync(Color.GreenBlue));
        Assert.Equal("greenBlue", System.Text.Encoding.UTF8.GetString(Fields(_loopback.Requests[^1])[0].Payload!));
    }

    [Fact]
    public void A_duration_inside_a_wrapper_is_still_a_duration()
    {
        // repeated OptionalDuration values = 1; as Google.Protobuf reads it: the sign of nanos follows the seconds'.
        var members = new SidecarKit.Wire.WireMembers("Probe",
            [new Schema.WireField("values", Schema.WireType.ListOf(Schema.WireType.NullableOf(Schema.WireType.Of(Schema.WireScalar.TimeSpan))), 1)]);
        var encoder = new Protobuf.ProtobufEncoder();
        var writer = new Protobuf.ProtobufWriter(encoder);
        writer.WriteStartObject(members);
        writer.WriteMember(members, 0);
        writer.WriteStartArray(2);
        writer.WriteTimeSpan(TimeSpan.FromSeconds(-1.5));
        writer.WriteNull();
        writer.WriteEndArray();
        writer.WriteEndObject();
        byte[] bytes = encoder.Buffer.AsSpan(0, encoder.Length).ToArray();
        List<Field> items = Fields(bytes);
        Assert.Equal(2, items.Count);
        Field inner = Assert.Single(Fields(items[0].Payload!));
        var duration = Google.Protobuf.WellKnownTypes.Duration.Parser.ParseFrom(inner.Payload);
        Assert.Equal((-1L, -500_000_000), (duration.Seconds, duration.Nanos));
        Assert.Empty(items[1].Payload!);   // the null: an empty wrapper

        var reader = new Protobuf.ProtobufReader(bytes);
        reader.ReadStartObject();
        int index = -1;
        Assert.True(reader.ReadNextMember(members, ref index));
        reader.ReadStartArray();
        Assert.True(reader.ReadNextItem());
        Assert.False(reader.TryReadNull());
        Assert.Equal(TimeSpan.FromSeconds(-1.5), reader.ReadTimeSpan());
        Assert.True(reader.ReadNextItem());
        Assert.True(reader.TryReadNull());
        Assert.False(reader.ReadNextItem());

        // And a TimeSpan beyond Duration's ±10,000 years is refused there too.
        var again = new Protobuf.ProtobufEncoder();
        var w = new Protobuf.ProtobufWriter(again);
        w.WriteStartObject(members);
        w.WriteMember(members, 0);
        w.WriteStartArray(1);
        try
        {
            w.WriteTimeSpan(TimeSpan.MaxValue);
            Assert.Fail("TimeSpan.MaxValue was written as a Duration");
        }
        catch (SidecarKit.Wire.WireFormatException e)
        {
            Assert.Contains("Duration", e.Message);
        }
    }

    [Fact]
    public async Task The_bytes_are_what_Google_Protobuf_reads()
    {
        // The demo contract's Person through Google.Protobuf's own reader, field by field, and the Timestamp through
        // its well-known type.
        var loopback = new ProtobufLoopback(new RpcHandlerTable().AddContract<IDemo>(new InProcessDemo()));
        var born = new DateTimeOffset(1815, 12, 10, 8, 30, 0, TimeSpan.Zero).AddTicks(1234567);
        var person = new Person("Ada 𝄞", 36, ["math", "poetry"], new DemoAddress("St James's Square", "London"), born);
        Assert.Equivalent(person, await loopback.GetClient<IDemo>().EchoAsync(person), strict: true);

        var input = new CodedInputStream(loopback.Requests[^1]);
        Assert.Equal(WireFormat.MakeTag(1, WireFormat.WireType.LengthDelimited), input.ReadTag());
        var p = new CodedInputStream(input.ReadBytes().ToByteArray());
        var seen = new List<string>();
        uint tag;
        while ((tag = p.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: seen.Add("name=" + p.ReadString()); break;
                case 2: seen.Add("age=" + p.ReadInt32()); break;
                case 3: seen.Add("tag=" + p.ReadString()); break;
                case 4:
                    var a = new CodedInputStream(p.ReadBytes().ToByteArray());
                    Assert.Equal(WireFormat.MakeTag(1, WireFormat.WireType.LengthDelimited), a.ReadTag());
                    seen.Add("street=" + a.ReadString());
                    Assert.Equal(WireFormat.MakeTag(2, WireFormat.WireType.LengthDelimited), a.ReadTag());
                    seen.Add("city=" + a.ReadString());
                    Assert.True(a.IsAtEnd);
                    break;
                case 5:
                    var ts = Google.Protobuf.WellKnownTypes.Timestamp.Parser.ParseFrom(p.ReadBytes());
                    seen.Add("born=" + ts.ToDateTimeOffset().UtcTicks);
                    break;
                default: Assert.Fail("unexpected field " + tag); break;
            }
        }
        Assert.Equal(new[] { "name=Ada 𝄞", "age=36", "tag=math", "tag=poetry", "street=St James's Square", "city=London", "born=" + born.UtcTicks }, seen);

        // And what Google.Protobuf writes, our reader reads: a packed list written by it, fields out of order.
        var output = new MemoryStream();
        var w = new CodedOutputStream(output);
        w.WriteTag(2, WireFormat.WireType.Varint); w.WriteInt32(-7);      // age first
        w.WriteTag(5, WireFormat.WireType.LengthDelimited);
        w.WriteMessage(Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(born));
        w.WriteTag(3, WireFormat.WireType.LengthDelimited); w.WriteString("x");
        w.WriteTag(1, WireFormat.WireType.LengthDelimited); w.WriteString("Grace");
        w.Flush();
        var echoRequest = new MemoryStream();
        var outer = new CodedOutputStream(echoRequest);
        outer.WriteTag(1, WireFormat.WireType.LengthDelimited);
        outer.WriteBytes(ByteString.CopyFrom(output.ToArray()));
        outer.Flush();
        MethodDescriptor echo = Descriptor<IDemo>().Methods.Single(m => m.WireName == "demo.echo");
        byte[] response = Assert.Single(await loopback.ServeRawAsync(echo, echoRequest.ToArray()));
        // Read back by us and echoed: in field order now, the absent address still absent.
        Field result = Assert.Single(Fields(response));
        var echoed = Fields(result.Payload!);
        Assert.Equal(new[] { 1, 2, 3, 5 }, echoed.Select(f => f.Number));
        Assert.Equal("Grace", System.Text.Encoding.UTF8.GetString(echoed[0].Payload!));
        Assert.Equal(born, Google.Protobuf.WellKnownTypes.Timestamp.Parser.ParseFrom(echoed[3].Payload).ToDateTimeOffset());
        var age = new CodedInputStream(result.Payload!);
        age.ReadTag(); age.ReadString(); age.ReadTag();
        Assert.Equal(-7, age.ReadInt32());
    }

    private static ContractDescriptor Descriptor<T>() where T : class, ISidecarContract<T> => T.Descriptor;

    internal sealed record Field(int Number, int WireType, byte[]? Payload);

    /// <summary>The top-level fields of a message, read with Google.Protobuf.</summary>
    internal static List<Field> Fields(byte[] message)
    {
        var input = new CodedInputStream(message);
        var fields = new List<Field>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            var type = WireFormat.GetTagWireType(tag);
            byte[]? payload = type == WireFormat.WireType.LengthDelimited ? input.ReadBytes().ToByteArray() : null;
            if (payload is null) input.SkipLastField();
            fields.Add(new Field(WireFormat.GetTagFieldNumber(tag), (int)type, payload));
        }
        return fields;
    }
}
