using SidecarKit.Rpc;
using SidecarKit.Wire;

namespace SidecarKit.Tests.Support;

/// <summary>What a format does with one contract method's generated types (its args struct, its result and codec).</summary>
public interface IMethodVisitor<TOut>
{
    TOut Visit<TArgs, TResult, TCodec>(MethodDescriptor method, TArgs sample)
        where TArgs : struct, IWireArgs<TArgs>
        where TCodec : IWireCodec<TResult>;
}

/// <summary>One contract method with its generated types captured, and the arguments it was called with.</summary>
public abstract class MethodProbe
{
    public abstract MethodDescriptor Method { get; }

    public abstract TOut Accept<TOut>(IMethodVisitor<TOut> visitor);

    public override string ToString() => Method.WireName;
}

/// <summary>
/// Collects a <see cref="MethodProbe"/> for every method of a contract by calling its generated proxy once: the
/// generated args structs and codecs are private to the generated code, so a channel is where their types show.
/// Nothing is sent; every call returns a default.
/// </summary>
public sealed class ProbeChannel : RpcChannel
{
    public List<MethodProbe> Probes { get; } = [];

    /// <summary>The probes of <see cref="ITypes"/> (every supported type shape) called with sample values.</summary>
    public static List<MethodProbe> Types()
    {
        var channel = new ProbeChannel();
        ITypes t = channel.GetClient<ITypes>();
        var address = new Address("1 Main St", "Springfield");
        _ = t.PrimitivesAsync(new AllPrimitives(true, 1, -2, -300, 400, -70000, 80000, -1L << 40, ulong.MaxValue, 1.5f, -2.25, 3.5m, 'x', "héllo",
            [1, 2, 3], Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"), new DateTime(2026, 12, 6, 1, 2, 3, DateTimeKind.Utc),
            new DateTimeOffset(2026, 12, 6, 1, 2, 3, TimeSpan.FromHours(2)), TimeSpan.FromMinutes(90)));
        _ = t.CollectionsAsync(new Collections([1, 2], ["a", "b"], [3], [address], [4L], ["c"], [1.5], new() { ["k"] = 1 },
            new Dictionary<string, Address?> { ["a"] = address, ["n"] = null }, new Dictionary<string, List<int>> { ["l"] = [1, 2] },
            [[1], [2, 3]], [1, null], ["x", null]));
        _ = t.ShapesAsync(new Shapes(new MutableClass { Name = "m", Count = 2, Items = [1], Favourite = Color.GreenBlue }, new Point { X = 1, Y = 2 },
            new ReadOnlyPoint(3, 4), new InitOnly { Id = "i", Note = "n" }, new Point { X = 5 }, Access.Read | Access.Write, null));
        _ = t.NullableIntAsync(7);
        _ = t.NullableStringAsync("s");
        _ = t.RequiredStringAsync("r");
        _ = t.ColorAsync(Color.Blue);
        _ = t.TreeAsync(new Node("root", [new Node("a", [new Node("b", [])])]));
        _ = t.DefaultsAsync(1, 2, "c", Color.Red);
        _ = t.ValueTaskAsync(3);
        _ = t.NothingAsync();
        _ = t.BytesAsync([0, 255]);
        _ = t.DoubleAsync(double.NaN);
        _ = t.Int64Async(long.MinValue);
        _ = t.UInt64Async(ulong.MaxValue);
        _ = t.MaybeListAsync([1, 2]);
        return channel.Probes;
    }

    public override Task<TResult> InvokeAsync<TArgs, TResult, TCodec>(MethodDescriptor method, TArgs args, RpcCallOptions options, CancellationToken cancellationToken)
    {
        Probes.Add(new Probe<TArgs, TResult, TCodec>(method, args));
        return Task.FromResult(default(TResult)!);
    }

    public override async IAsyncEnumerable<TItem> InvokeStreamAsync<TArgs, TItem, TCodec>(MethodDescriptor method, TArgs args, RpcCallOptions options,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Probes.Add(new Probe<TArgs, TItem, TCodec>(method, args));
        await Task.CompletedTask;
        yield break;
    }

    public override void Notify<TArgs>(MethodDescriptor method, TArgs args) => Probes.Add(new Probe<TArgs, VoidResult, WireCodecs.Void>(method, args));

    private sealed class Probe<TArgs, TResult, TCodec>(MethodDescriptor method, TArgs sample) : MethodProbe
        where TArgs : struct, IWireArgs<TArgs>
        where TCodec : IWireCodec<TResult>
    {
        public override MethodDescriptor Method => method;

        public override TOut Accept<TOut>(IMethodVisitor<TOut> visitor) => visitor.Visit<TArgs, TResult, TCodec>(method, sample);
    }
}
