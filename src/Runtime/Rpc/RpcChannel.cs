using SidecarKit.Wire;

namespace SidecarKit.Rpc;

/// <summary>
/// What a generated proxy calls: sends requests and notifications to the other side and returns typed results.
/// <see cref="RpcConnection"/> is the implementation over one connection; a supervisor supplies one that follows
/// the current sidecar instance across restarts.
/// </summary>
public abstract class RpcChannel
{
    /// <summary>
    /// The budget of calls with a result that have no timeout of their own (no <see cref="SidecarCall.WithTimeout"/>
    /// scope, no method timeout). Default 30 seconds.
    /// </summary>
    public virtual TimeSpan DefaultCallTimeout => TimeSpan.FromSeconds(30);

    /// <summary>Calls a method and returns its result; its deadline is resolved here (see <see cref="RpcCallOptions.For"/>).</summary>
    public Task<TResult> InvokeAsync<TArgs, TResult, TCodec>(MethodDescriptor method, TArgs args, CancellationToken cancellationToken)
        where TArgs : struct, IWireArgs<TArgs>
        where TCodec : IWireCodec<TResult>
        => InvokeAsync<TArgs, TResult, TCodec>(method, args, RpcCallOptions.For(method, DefaultCallTimeout), cancellationToken);

    /// <summary>Calls a method and returns its result, within the deadline in <paramref name="options"/>.</summary>
    public abstract Task<TResult> InvokeAsync<TArgs, TResult, TCodec>(MethodDescriptor method, TArgs args, RpcCallOptions options, CancellationToken cancellationToken)
        where TArgs : struct, IWireArgs<TArgs>
        where TCodec : IWireCodec<TResult>;

    /// <summary>Calls a method whose result is a stream. The call starts when the stream is enumerated.</summary>
    public IAsyncEnumerable<TItem> InvokeStreamAsync<TArgs, TItem, TCodec>(MethodDescriptor method, TArgs args, CancellationToken cancellationToken)
        where TArgs : struct, IWireArgs<TArgs>
        where TCodec : IWireCodec<TItem>
        => InvokeStreamAsync<TArgs, TItem, TCodec>(method, args, RpcCallOptions.For(method, DefaultCallTimeout), cancellationToken);

    /// <summary>Calls a method whose result is a stream, within the deadline in <paramref name="options"/>. The call starts when the stream is enumerated.</summary>
    public abstract IAsyncEnumerable<TItem> InvokeStreamAsync<TArgs, TItem, TCodec>(MethodDescriptor method, TArgs args, RpcCallOptions options, CancellationToken cancellationToken)
        where TArgs : struct, IWireArgs<TArgs>
        where TCodec : IWireCodec<TItem>;

    /// <summary>Sends a one-way notification. Failures to send are logged, not thrown: notifications have no reply.</summary>
    public abstract void Notify<TArgs>(MethodDescriptor method, TArgs args)
        where TArgs : struct, IWireArgs<TArgs>;

    /// <summary>Returns a typed client for <typeparamref name="TContract"/> whose calls go over this channel.</summary>
    public TContract GetClient<TContract>() where TContract : class, ISidecarContract<TContract>
        => TContract.CreateProxy(this);
}
