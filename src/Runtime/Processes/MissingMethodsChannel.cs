using System.Collections.Frozen;
using SidecarKit.Rpc;
using SidecarKit.Wire;

namespace SidecarKit.Processes;

/// <summary>
/// A sidecar's channel that refuses, at once and typed, the calls of methods the sidecar announced it does not have
/// (a compatible contract of another version). Put in front of the channel only when the handshake found such a
/// method, so a sidecar built from the same contract pays nothing for it.
/// </summary>
internal sealed class MissingMethodsChannel(RpcChannel inner, FrozenSet<string> missing, string sidecar, string? version) : RpcChannel
{
    public FrozenSet<string> Missing => missing;

    public override TimeSpan DefaultCallTimeout => inner.DefaultCallTimeout;

    internal override string? RpcSystem => inner.RpcSystem;

    public override Task<TResult> InvokeAsync<TArgs, TResult, TCodec>(MethodDescriptor method, TArgs args, RpcCallOptions options, CancellationToken cancellationToken)
        => missing.Contains(method.WireName)
            ? Task.FromException<TResult>(Refuse(method))
            : inner.InvokeAsync<TArgs, TResult, TCodec>(method, args, options, cancellationToken);

    public override IAsyncEnumerable<TItem> InvokeStreamAsync<TArgs, TItem, TCodec>(MethodDescriptor method, TArgs args, RpcCallOptions options, CancellationToken cancellationToken)
        => missing.Contains(method.WireName)
            ? Refused<TItem>(Refuse(method))
            : inner.InvokeStreamAsync<TArgs, TItem, TCodec>(method, args, options, cancellationToken);

    public override void Notify<TArgs>(MethodDescriptor method, TArgs args)
    {
        if (missing.Contains(method.WireName)) throw Refuse(method);
        inner.Notify(method, args);
    }

    private SidecarMethodMissingException Refuse(MethodDescriptor method) => new(sidecar, version, method.WireName);

#pragma warning disable CS1998 // an iterator that throws when enumerated, as a stream call does
    private static async IAsyncEnumerable<TItem> Refused<TItem>(Exception e)
    {
        throw e;
#pragma warning disable CS0162
        yield break;
#pragma warning restore CS0162
    }
#pragma warning restore CS1998
}
