using System.IO.Pipelines;
using MessagePack;
using SidecarKit.Rpc;
using SidecarKit.Tests.Support;
using SidecarKit.Wire;

namespace SidecarKit.Transports.MessagePack.Tests;

/// <summary>
/// Polymorphism ([SidecarDerivedType]) over MessagePack-RPC: through the generated proxy, the exact bytes (a map with
/// "$type" first, then the case's members; the concrete base itself without one), "$type" read anywhere in the map, and
/// the errors.
/// </summary>
public class PolymorphismTests
{
    private sealed record Triangle(string Name) : Shape(Name);

    [Fact]
    public async Task Every_case_round_trips_through_the_proxy()
    {
        await using ConnectionPair pair = ConnectionPair.Create(new RpcHandlerTable().AddContract<IShapes>(new ShapesService()), protocol: () => new MessagePackRpcProtocol());
        await ShapesSamples.RoundTripAllAsync(pair.Client.GetClient<IShapes>());
    }

    [Fact]
    public async Task Every_case_round_trips_with_objects_as_arrays_too()
    {
        // The compact layout writes DTOs by position; a polymorphic value stays a map (its discriminator needs its name).
        await using ConnectionPair pair = ConnectionPair.Create(new RpcHandlerTable().AddContract<IShapes>(new ShapesService()),
            protocol: () => new MessagePackRpcProtocol(new MessagePackOptions { ObjectLayout = MessagePackObjectLayout.Array }));
        await ShapesSamples.RoundTripAllAsync(pair.Client.GetClient<IShapes>());
    }

    private static string Hex(byte[] bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    private static string Str(string s) => Hex([(byte)(0xa0 | s.Length), .. System.Text.Encoding.UTF8.GetBytes(s)]);

    [Fact]
    public async Task The_discriminator_is_a_first_member_named_type_and_is_read_anywhere()
    {
        await using var peer = new HandPlayedPeer(new MessagePackRpcProtocol());
        IShapes shapes = peer.Client.GetClient<IShapes>();

        Task<Shape> call = shapes.EchoAsync(new Circle("c", 1.5));
        (long id, byte[] value) = await ReadRequestAsync(peer.Requests, "shapes.echo");
        Assert.Equal("83" + Str("$type") + Str("circle") + Str("name") + Str("c") + Str("radius") + "cb3ff8000000000000", Hex(value));
        await AnswerAsync(peer, id, (ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(3);
            w.Write("side"); w.Write(4.0);
            w.Write("name"); w.Write("q");
            w.Write("$type"); w.Write("square");   // last, as another writer may put it
        });
        Assert.Equal(new Square("q", 4), await call.WaitAsync(TimeSpan.FromSeconds(10)));

        // The concrete base itself: no discriminator; its case: one.
        Task<Label> plain = shapes.LabelAsync(new Label("x"));
        (id, value) = await ReadRequestAsync(peer.Requests, "shapes.label");
        Assert.Equal("81" + Str("text") + Str("x"), Hex(value));
        await AnswerAsync(peer, id, (ref MessagePackWriter w) => { w.WriteMapHeader(1); w.Write("text"); w.Write("y"); });
        Assert.Equal(typeof(Label), (await plain.WaitAsync(TimeSpan.FromSeconds(10))).GetType());
        Task<Label> bold = shapes.LabelAsync(new BoldLabel("x", 7));
        (id, value) = await ReadRequestAsync(peer.Requests, "shapes.label");
        Assert.Equal("83" + Str("$type") + Str("bold") + Str("text") + Str("x") + Str("weight") + "07", Hex(value));
        await AnswerAsync(peer, id, (ref MessagePackWriter w) => { w.WriteMapHeader(3); w.Write("weight"); w.Write(9); w.Write("$type"); w.Write("bold"); w.Write("text"); w.Write("z"); });
        Assert.Equal(new BoldLabel("z", 9), await bold.WaitAsync(TimeSpan.FromSeconds(10)));

        // An unknown discriminator is refused naming it and the base, never read as the base.
        Task<Label> unknown = shapes.LabelAsync(new Label("x"));
        (id, _) = await ReadRequestAsync(peer.Requests, "shapes.label");
        await AnswerAsync(peer, id, (ref MessagePackWriter w) => { w.WriteMapHeader(2); w.Write("text"); w.Write("y"); w.Write("$type"); w.Write("italic"); });
        Exception e = await Assert.ThrowsAnyAsync<Exception>(() => unknown.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("SidecarKit.Tests.Support.Label: the type discriminator 'italic' names no type derived from SidecarKit.Tests.Support.Label", e.ToString());
    }

    [Fact]
    public async Task An_undeclared_derived_instance_and_a_missing_discriminator_are_refused()
    {
        await using ConnectionPair pair = ConnectionPair.Create(new RpcHandlerTable().AddContract<IShapes>(new ShapesService(name => new Triangle(name))), protocol: () => new MessagePackRpcProtocol());
        IShapes shapes = pair.Client.GetClient<IShapes>();
        var sent = await Assert.ThrowsAsync<WireFormatException>(() => shapes.EchoAsync(new Triangle("t")));
        Assert.Contains("an instance of 'Triangle', a type derived from it, cannot be sent", sent.Message);
        var answered = await Assert.ThrowsAsync<SidecarRemoteException>(() => shapes.MakeAsync("t"));
        Assert.Contains("an instance of 'Triangle', a type derived from it, cannot be sent", answered.Message);

        await using var peer = new HandPlayedPeer(new MessagePackRpcProtocol());
        Task<Shape> call = peer.Client.GetClient<IShapes>().EchoAsync(ShapesSamples.Circle);
        (long id, _) = await ReadRequestAsync(peer.Requests, "shapes.echo");
        await AnswerAsync(peer, id, (ref MessagePackWriter w) => { w.WriteMapHeader(1); w.Write("name"); w.Write("c"); });
        Exception e = await Assert.ThrowsAnyAsync<Exception>(() => call.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("SidecarKit.Tests.Support.Shape: the value has no type discriminator", e.ToString());
    }

    private static async Task AnswerAsync(HandPlayedPeer peer, long id, MessagePackBytes.WriteValue result)
        => await peer.Answers.WriteAsync(MessagePackBytes.Of((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(4);
            w.Write(1);
            w.Write(id);
            w.WriteNil();
            result(ref w);
        }));

    // Reads one request [0, id, method, [value, …]] and returns its id and the first parameter's bytes.
    private static async Task<(long Id, byte[] Value)> ReadRequestAsync(PipeReader input, string method)
    {
        while (true)
        {
            ReadResult result = await input.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            if (MessagePackFraming.TryGetObject(result.Buffer, 64, 1 << 20, out long length, out _) == FrameStatus.Complete)
            {
                var r = new MessagePackReader(result.Buffer.Slice(0, length));
                r.ReadArrayHeader();
                Assert.Equal(0, r.ReadInt32());
                long id = r.ReadInt64();
                Assert.Equal(method, r.ReadString());
                Assert.InRange(r.ReadArrayHeader(), 1, 2); // the value, and the trace context when a test's listener is on
                long start = r.Consumed;
                r.Skip();
                byte[] value = System.Buffers.BuffersExtensions.ToArray(result.Buffer.Slice(start, r.Consumed - start));
                input.AdvanceTo(result.Buffer.GetPosition(length));
                return (id, value);
            }
            input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }
}
