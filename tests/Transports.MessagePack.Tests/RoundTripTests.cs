using SidecarKit.Rpc;
using SidecarKit.Tests.Support;

namespace SidecarKit.Transports.MessagePack.Tests;

/// <summary>The same generated codecs, proxies and dispatchers, over MessagePack-RPC instead of JSON-RPC.</summary>
public class RoundTripTests() : TypesEchoConnection(() => new MessagePackRpcProtocol())
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task All_primitives(bool extremes)
    {
        AllPrimitives value = extremes
            ? new AllPrimitives(true, byte.MaxValue, sbyte.MinValue, short.MinValue, ushort.MaxValue, int.MinValue, uint.MaxValue, long.MinValue, ulong.MaxValue,
                float.MaxValue, double.NaN, decimal.MaxValue, 'é', "ünïcödé ✓ 𝄞", [0, 255], Guid.NewGuid(),
                new DateTime(1815, 12, 10, 1, 2, 3, DateTimeKind.Utc).AddTicks(4567), new DateTimeOffset(2262, 4, 11, 23, 47, 16, TimeSpan.Zero), TimeSpan.MinValue)
            : new AllPrimitives(false, 0, 0, 0, 0, 0, 0, 0, 0, -0f, -0d, 0m, 'a', "", [], Guid.Empty, DateTime.UnixEpoch, DateTimeOffset.UnixEpoch, TimeSpan.Zero);
        AllPrimitives back = await Types.PrimitivesAsync(value);
        Assert.Equivalent(value, back, strict: true);
    }

    [Fact]
    public async Task Collections_shapes_enums_and_nulls()
    {
        var value = new Collections([1, -2], ["a", ""], new List<int> { 3 }, [new Address("s", "c")], [long.MaxValue], new List<string> { "x" }, [1.5],
            new Dictionary<string, int> { ["k"] = 1 }, new Dictionary<string, Address?> { ["none"] = null }, new Dictionary<string, List<int>> { ["l"] = [1, 2] },
            [[1], []], [1, null], ["p", null]);
        Assert.Equivalent(value, await Types.CollectionsAsync(value), strict: true);
        Assert.Equal(Color.GreenBlue, await Types.ColorAsync(Color.GreenBlue));
        Assert.Null(await Types.NullableIntAsync(null));
        Assert.Equal("1|10|null|Blue", await Types.DefaultsAsync(1));
        var tree = new Node("root", [new Node("a", [])]);
        Assert.Equivalent(tree, await Types.TreeAsync(tree), strict: true);
        byte[] big = new byte[1 << 20];
        new Random(3).NextBytes(big);
        Assert.Equal(big, await Types.BytesAsync(big));
    }

    [Fact]
    public async Task Errors_streams_cancellation_and_callbacks_work_over_messagepack()
    {
        var accessor = new RpcChannelAccessor();
        var service = new EngineService(accessor);
        await using ConnectionPair pair = ConnectionPair.Create(new RpcHandlerTable().AddContract<IEngine>(service),
            new RpcHandlerTable().AddContract<IParent>(new DoublingParent()), protocol: () => new MessagePackRpcProtocol());
        accessor.Channel = pair.Server;
        IEngine engine = pair.Client.GetClient<IEngine>();

        var e = await Assert.ThrowsAsync<SidecarRemoteException>(() => engine.FailAsync(-32042, "out of widgets"));
        Assert.Equal(-32042, e.Code);
        Assert.Equal("out of widgets", e.ErrorData!.ToJson().GetProperty("detail").GetString());
        var items = new List<int>();
        await foreach (int i in engine.RangeAsync(500)) items.Add(i);
        Assert.Equal(Enumerable.Range(0, 500), items);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => engine.SleepAsync(60_000, cts.Token));
        Assert.Equal(43, await engine.AskParentAsync(21));
    }
}
