using SidecarKit.Wire;

namespace SidecarKit.Rpc;

/// <summary>
/// How an <see cref="RpcConnection"/> takes one method's requests: decodes the params with the method's generated
/// args type and hands the running call to the connection's <see cref="InboundRequests"/>. Built once per handler through
/// <see cref="RpcMethodHandler.Bind{T}"/>, the entry point every transport binds handlers with, so the connection
/// is one more binder rather than a second way in.
/// </summary>
internal abstract class InboundDispatch
{
    private protected InboundDispatch(string method) => Method = method;

    /// <summary>The method's wire name.</summary>
    public string Method { get; }

    /// <summary>Whether the implementation reports progress (<see cref="RpcMethodHandler.ReportsProgress"/>).</summary>
    public bool ReportsProgress { get; private init; }

    /// <summary>Starts serving <paramref name="message"/>, or answers why it cannot be served.</summary>
    public abstract void Dispatch(RpcConnection connection, in RpcMessage message);

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
            connection.Requests.Reject(in message, RpcErrorCodes.InvalidParams, $"Invalid params for '{Method}': {e.Message}");
            return false;
        }
    }

    // Looked for only while something listens: otherwise the context is not needed, and finding it costs a scan.
    private protected static Diagnostics.RpcTraceContext TraceOf(RpcConnection connection, in RpcMessage message)
        => Diagnostics.SidecarTelemetry.Enabled ? connection.Protocol.ReadTraceContext(in message) : default;

    /// <summary>Binds handlers to connections.</summary>
    public sealed class Binder : IRpcMethodBinder<InboundDispatch>
    {
        public static readonly Binder Instance = new();

        public InboundDispatch BindUnary<TArgs, TResult, TCodec>(RpcMethodHandler handler, Func<TArgs, CancellationToken, ValueTask<TResult>> implementation)
            where TArgs : struct, IWireArgs<TArgs>
            where TCodec : IWireCodec<TResult>
            => new Unary<TArgs, TResult, TCodec>(handler.Method, implementation) { ReportsProgress = handler.ReportsProgress };

        public InboundDispatch BindStream<TArgs, TItem, TCodec>(RpcMethodHandler handler, Func<TArgs, CancellationToken, IAsyncEnumerable<TItem>> implementation)
            where TArgs : struct, IWireArgs<TArgs>
            where TCodec : IWireCodec<TItem>
            => new Stream<TArgs, TItem, TCodec>(handler.Method, implementation) { ReportsProgress = handler.ReportsProgress };

        public InboundDispatch BindClientStream<TArgs, TInput, TInputCodec, TResult, TCodec>(RpcMethodHandler handler, Func<TArgs, IAsyncEnumerable<TInput>, CancellationToken, ValueTask<TResult>> implementation)
            where TArgs : struct, IWireArgs<TArgs>
            where TInputCodec : IWireCodec<TInput>
            where TCodec : IWireCodec<TResult>
            => new ClientStream<TArgs, TInput, TInputCodec, TResult, TCodec>(handler.Method, implementation) { ReportsProgress = handler.ReportsProgress };

        public InboundDispatch BindDuplexStream<TArgs, TInput, TInputCodec, TItem, TCodec>(RpcMethodHandler handler, Func<TArgs, IAsyncEnumerable<TInput>, CancellationToken, IAsyncEnumerable<TItem>> implementation)
            where TArgs : struct, IWireArgs<TArgs>
            where TInputCodec : IWireCodec<TInput>
            where TCodec : IWireCodec<TItem>
            => new DuplexStream<TArgs, TInput, TInputCodec, TItem, TCodec>(handler.Method, implementation) { ReportsProgress = handler.ReportsProgress };
    }

    /// <summary>
    /// Whether a request for a method that streams (<paramref name="what"/>: its result, its input, or both) can be
    /// served: a notification cannot (logged), nor a request whose id is a non-integer number (answered).
    /// </summary>
    private protected bool CanStream(RpcConnection connection, in RpcMessage message, string what)
    {
        if (!message.Id.IsPresent)
        {
            connection.Log.LogNotificationToStream(Method);
            return false;
        }
        if (message.Id.Kind == RequestIdKind.RawNumber)
        {
            // Stream messages carry the request id inside params, where only integers and strings round-trip exactly.
            connection.Requests.Reject(in message, RpcErrorCodes.InvalidRequest, $"'{Method}' streams {what}: its request id must be an integer or a string.");
            return false;
        }
        return true;
    }

    private sealed class Unary<TArgs, TResult, TCodec>(string method, Func<TArgs, CancellationToken, ValueTask<TResult>> implementation)
        : InboundDispatch(method)
        where TArgs : struct, IWireArgs<TArgs>
        where TCodec : IWireCodec<TResult>
    {
        public override void Dispatch(RpcConnection connection, in RpcMessage message)
        {
            if (TryReadArgs(connection, in message, out TArgs args))
                connection.Requests.Run(new InboundUnaryCall<TArgs, TResult, TCodec>(connection, message.Id, Method, args, implementation) { Trace = TraceOf(connection, in message), ReportsProgress = ReportsProgress });
        }
    }

    private sealed class Stream<TArgs, TItem, TCodec>(string method, Func<TArgs, CancellationToken, IAsyncEnumerable<TItem>> implementation)
        : InboundDispatch(method)
        where TArgs : struct, IWireArgs<TArgs>
        where TCodec : IWireCodec<TItem>
    {
        public override void Dispatch(RpcConnection connection, in RpcMessage message)
        {
            if (CanStream(connection, in message, "its result") && TryReadArgs(connection, in message, out TArgs args))
                connection.Requests.Run(new InboundStreamCall<TArgs, TItem, TCodec>(connection, message.Id, Method, args, implementation) { Trace = TraceOf(connection, in message), ReportsProgress = ReportsProgress });
        }
    }

    private sealed class ClientStream<TArgs, TInput, TInputCodec, TResult, TCodec>(string method, Func<TArgs, IAsyncEnumerable<TInput>, CancellationToken, ValueTask<TResult>> implementation)
        : InboundDispatch(method)
        where TArgs : struct, IWireArgs<TArgs>
        where TInputCodec : IWireCodec<TInput>
        where TCodec : IWireCodec<TResult>
    {
        public override void Dispatch(RpcConnection connection, in RpcMessage message)
        {
            if (CanStream(connection, in message, "its input") && TryReadArgs(connection, in message, out TArgs args))
                connection.Requests.Run(new InboundClientStreamCall<TArgs, TInput, TInputCodec, TResult, TCodec>(connection, message.Id, Method, args, implementation) { Trace = TraceOf(connection, in message), ReportsProgress = ReportsProgress });
        }
    }

    private sealed class DuplexStream<TArgs, TInput, TInputCodec, TItem, TCodec>(string method, Func<TArgs, IAsyncEnumerable<TInput>, CancellationToken, IAsyncEnumerable<TItem>> implementation)
        : InboundDispatch(method)
        where TArgs : struct, IWireArgs<TArgs>
        where TInputCodec : IWireCodec<TInput>
        where TCodec : IWireCodec<TItem>
    {
        public override void Dispatch(RpcConnection connection, in RpcMessage message)
        {
            if (CanStream(connection, in message, "its input and its result") && TryReadArgs(connection, in message, out TArgs args))
                connection.Requests.Run(new InboundDuplexCall<TArgs, TInput, TInputCodec, TItem, TCodec>(connection, message.Id, Method, args, implementation) { Trace = TraceOf(connection, in message), ReportsProgress = ReportsProgress });
        }
    }
}
