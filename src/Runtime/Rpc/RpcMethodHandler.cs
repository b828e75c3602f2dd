using SidecarKit.Wire;

namespace SidecarKit.Rpc;

/// <summary>
/// Serves one method. Generated dispatchers create these with the factory methods below; each decodes the params
/// with the method's generated args type and runs the implementation off the connection's read loop.
/// </summary>
public abstract class RpcMethodHandler
{
    private protected RpcMethodHandler(string method) => Method = method;

    /// <summary>The method's wire name.</summary>
    public string Method { get; }

    internal abstract void Dispatch(RpcConnection connection, in RpcMessage message);

    /// <summary>
    /// Serves one call on a transport that carries each call on its own stream: reads the arguments from
    /// <paramref name="call"/>, runs the implementation and writes what it returns. Exceptions (invalid arguments,
    /// the implementation's errors, cancellation) propagate for the transport to turn into its status.
    /// </summary>
    public abstract ValueTask ServeAsync(IRpcServerCall call, CancellationToken cancellationToken);

    /// <summary>Hands this method's argument, result and codec types and its implementation to <paramref name="binder"/>.</summary>
    public abstract T Bind<T>(IRpcMethodBinder<T> binder);

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

    private protected bool TryReadArgs<TArgs>(RpcConnection connection, in RpcMessage message, out TArgs args)
        where TArgs : struct, IWireArgs<TArgs>
    {
        try
        {
            args = connection.Protocol.ReadArgs<TArgs>(in message);
            return true;
        }
        catch (Exception e) when (e is WireFormatException or FormatException or OverflowException or InvalidOperationException)
        {
            args = default;
            connection.RejectRequest(in message, RpcErrorCodes.InvalidParams, $"Invalid params for '{Method}': {e.Message}");
            return false;
        }
    }

    private sealed class UnaryHandler<TArgs, TResult, TCodec>(string method, Func<TArgs, CancellationToken, ValueTask<TResult>> handler)
        : RpcMethodHandler(method)
        where TArgs : struct, IWireArgs<TArgs>
        where TCodec : IWireCodec<TResult>
    {
        internal override void Dispatch(RpcConnection connection, in RpcMessage message)
        {
            if (TryReadArgs(connection, in message, out TArgs args))
                connection.Run(new InboundUnaryCall<TArgs, TResult, TCodec>(connection, message.Id, Method, args, handler));
        }

        public override async ValueTask ServeAsync(IRpcServerCall call, CancellationToken cancellationToken)
        {
            TArgs args = call.ReadArgs<TArgs>();
            TResult result = await handler(args, cancellationToken).ConfigureAwait(false);
            await call.WriteResultAsync<TResult, TCodec>(result, cancellationToken).ConfigureAwait(false);
        }

        public override T Bind<T>(IRpcMethodBinder<T> binder) => binder.BindUnary<TArgs, TResult, TCodec>(this, handler);
    }

    private sealed class StreamHandler<TArgs, TItem, TCodec>(string method, Func<TArgs, CancellationToken, IAsyncEnumerable<TItem>> handler)
        : RpcMethodHandler(method)
        where TArgs : struct, IWireArgs<TArgs>
        where TCodec : IWireCodec<TItem>
    {
        internal override void Dispatch(RpcConnection connection, in RpcMessage message)
        {
            if (!message.Id.IsPresent)
            {
                connection.Log.LogNotificationToStream(Method);
                return;
            }
            if (message.Id.Kind == RequestIdKind.RawNumber)
            {
                // Stream items carry the request id inside params, where only integers and strings round-trip exactly.
                connection.RejectRequest(in message, RpcErrorCodes.InvalidRequest, $"'{Method}' streams its result: its request id must be an integer or a string.");
                return;
            }
            if (TryReadArgs(connection, in message, out TArgs args))
                connection.Run(new InboundStreamCall<TArgs, TItem, TCodec>(connection, message.Id, Method, args, handler));
        }

        public override async ValueTask ServeAsync(IRpcServerCall call, CancellationToken cancellationToken)
        {
            TArgs args = call.ReadArgs<TArgs>();
            await foreach (TItem item in handler(args, cancellationToken).WithCancellation(cancellationToken).ConfigureAwait(false))
                await call.WriteItemAsync<TItem, TCodec>(item, cancellationToken).ConfigureAwait(false);
        }

        public override T Bind<T>(IRpcMethodBinder<T> binder) => binder.BindStream<TArgs, TItem, TCodec>(this, handler);
    }
}
