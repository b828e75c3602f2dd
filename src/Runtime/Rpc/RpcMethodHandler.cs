using SidecarKit.Wire;

namespace SidecarKit.Rpc;

/// <summary>
/// Serves one method: its wire name, its generated argument, result and codec types, and its implementation. Generated
/// dispatchers create these with the factory methods below; transports serve them through <see cref="Bind{T}"/>.
/// </summary>
public abstract class RpcMethodHandler
{
    private protected RpcMethodHandler(string method) => Method = method;

    /// <summary>The method's wire name.</summary>
    public string Method { get; }

    private InboundDispatch? _connectionDispatch;

    /// <summary>Whether the implementation reports progress (an <see cref="IProgress{T}"/> parameter, <see cref="RpcProgress"/>).</summary>
    public bool ReportsProgress { get; private set; }

    /// <summary>Marks the handler as one whose implementation reports progress: its calls carry a progress channel. Returns this handler.</summary>
    public RpcMethodHandler WithProgress()
    {
        ReportsProgress = true;
        return this;
    }

    /// <summary>
    /// Hands this method's argument, result and codec types and its implementation to <paramref name="binder"/>: the one
    /// way every transport serves a handler (the RPC connections, grpc-dotnet's typed methods, the gRPC callbacks), so
    /// the generic arguments arrive as generic arguments and nothing is looked up by reflection.
    /// </summary>
    public abstract T Bind<T>(IRpcMethodBinder<T> binder);

    // Bound once, on the first request: a benign race can bind twice and keep either.
    internal InboundDispatch ConnectionDispatch => _connectionDispatch ??= Bind(InboundDispatch.Binder.Instance);

    /// <summary>A method with a result.</summary>
    public static RpcMethodHandler Unary<TArgs, TResult, TCodec>(string method, Func<TArgs, CancellationToken, ValueTask<TResult>> handler)
        where TArgs : struct, IWireArgs<TArgs>
        where TCodec : IWireCodec<TResult>
        => new UnaryHandler<TArgs, TResult, TCodec>(method, handler);

    /// <summary>A method whose completion is its result.</summary>
    public static RpcMethodHandler UnaryVoid<TArgs>(string method, Func<TArgs, CancellationToken, ValueTask> handler)
        where TArgs : struct, IWireArgs<TArgs>
        => new UnaryHandler<TArgs, VoidResult, WireCodecs.Void>(method, async (args, ct) =>
        {
            await handler(args, ct).ConfigureAwait(false);
            return default;
        });

    /// <summary>A one-way method. If a caller sends it as a request anyway, it is answered with a null result once it ran.</summary>
    public static RpcMethodHandler Notification<TArgs>(string method, Action<TArgs> handler)
        where TArgs : struct, IWireArgs<TArgs>
        => new UnaryHandler<TArgs, VoidResult, WireCodecs.Void>(method, (args, _) =>
        {
            handler(args);
            return default;
        });

    /// <summary>A method whose result is a stream, sent with credit-based flow control.</summary>
    public static RpcMethodHandler Stream<TArgs, TItem, TCodec>(string method, Func<TArgs, CancellationToken, IAsyncEnumerable<TItem>> handler)
        where TArgs : struct, IWireArgs<TArgs>
        where TCodec : IWireCodec<TItem>
        => new StreamHandler<TArgs, TItem, TCodec>(method, handler);

    /// <summary>A method that takes a stream of <typeparamref name="TInput"/> (client streaming) and has a result.</summary>
    public static RpcMethodHandler ClientStream<TArgs, TInput, TInputCodec, TResult, TCodec>(string method, Func<TArgs, IAsyncEnumerable<TInput>, CancellationToken, ValueTask<TResult>> handler)
        where TArgs : struct, IWireArgs<TArgs>
        where TInputCodec : IWireCodec<TInput>
        where TCodec : IWireCodec<TResult>
        => new ClientStreamHandler<TArgs, TInput, TInputCodec, TResult, TCodec>(method, handler);

    /// <summary>A method that takes a stream of <typeparamref name="TInput"/> (client streaming) and whose completion is its result.</summary>
    public static RpcMethodHandler ClientStreamVoid<TArgs, TInput, TInputCodec>(string method, Func<TArgs, IAsyncEnumerable<TInput>, CancellationToken, ValueTask> handler)
        where TArgs : struct, IWireArgs<TArgs>
        where TInputCodec : IWireCodec<TInput>
        => new ClientStreamHandler<TArgs, TInput, TInputCodec, VoidResult, WireCodecs.Void>(method, async (args, input, ct) =>
        {
            await handler(args, input, ct).ConfigureAwait(false);
            return default;
        });

    /// <summary>A method that takes a stream of <typeparamref name="TInput"/> and returns a stream (bidirectional streaming).</summary>
    public static RpcMethodHandler DuplexStream<TArgs, TInput, TInputCodec, TItem, TCodec>(string method, Func<TArgs, IAsyncEnumerable<TInput>, CancellationToken, IAsyncEnumerable<TItem>> handler)
        where TArgs : struct, IWireArgs<TArgs>
        where TInputCodec : IWireCodec<TInput>
        where TCodec : IWireCodec<TItem>
        => new DuplexStreamHandler<TArgs, TInput, TInputCodec, TItem, TCodec>(method, handler);

    private sealed class ClientStreamHandler<TArgs, TInput, TInputCodec, TResult, TCodec>(string method, Func<TArgs, IAsyncEnumerable<TInput>, CancellationToken, ValueTask<TResult>> handler)
        : RpcMethodHandler(method)
        where TArgs : struct, IWireArgs<TArgs>
        where TInputCodec : IWireCodec<TInput>
        where TCodec : IWireCodec<TResult>
    {
        public override T Bind<T>(IRpcMethodBinder<T> binder) => binder.BindClientStream<TArgs, TInput, TInputCodec, TResult, TCodec>(this, handler);
    }

    private sealed class DuplexStreamHandler<TArgs, TInput, TInputCodec, TItem, TCodec>(string method, Func<TArgs, IAsyncEnumerable<TInput>, CancellationToken, IAsyncEnumerable<TItem>> handler)
        : RpcMethodHandler(method)
        where TArgs : struct, IWireArgs<TArgs>
        where TInputCodec : IWireCodec<TInput>
        where TCodec : IWireCodec<TItem>
    {
        public override T Bind<T>(IRpcMethodBinder<T> binder) => binder.BindDuplexStream<TArgs, TInput, TInputCodec, TItem, TCodec>(this, handler);
    }

    private sealed class UnaryHandler<TArgs, TResult, TCodec>(string method, Func<TArgs, CancellationToken, ValueTask<TResult>> handler)
        : RpcMethodHandler(method)
        where TArgs : struct, IWireArgs<TArgs>
        where TCodec : IWireCodec<TResult>
    {
        public override T Bind<T>(IRpcMethodBinder<T> binder) => binder.BindUnary<TArgs, TResult, TCodec>(this, handler);
    }

    private sealed class StreamHandler<TArgs, TItem, TCodec>(string method, Func<TArgs, CancellationToken, IAsyncEnumerable<TItem>> handler)
        : RpcMethodHandler(method)
        where TArgs : struct, IWireArgs<TArgs>
        where TCodec : IWireCodec<TItem>
    {
        public override T Bind<T>(IRpcMethodBinder<T> binder) => binder.BindStream<TArgs, TItem, TCodec>(this, handler);
    }
}
