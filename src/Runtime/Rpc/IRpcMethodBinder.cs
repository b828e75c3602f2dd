using SidecarKit.Wire;

namespace SidecarKit.Rpc;

/// <summary>
/// Receives a handler's types and implementation (<see cref="RpcMethodHandler.Bind{T}"/>), so that a transport whose
/// library wants typed methods (grpc-dotnet's <c>Method&lt;TRequest, TResponse&gt;</c>) builds one per method with no
/// reflection: the generic arguments arrive as generic arguments.
/// </summary>
/// <typeparam name="T">What binding a method gives the transport.</typeparam>
public interface IRpcMethodBinder<out T>
{
    /// <summary>A method with one result (<see cref="VoidResult"/> with <see cref="WireCodecs.Void"/> for none, notifications included).</summary>
    T BindUnary<TArgs, TResult, TCodec>(RpcMethodHandler handler, Func<TArgs, CancellationToken, ValueTask<TResult>> implementation)
        where TArgs : struct, IWireArgs<TArgs>
        where TCodec : IWireCodec<TResult>;

    /// <summary>A method whose result is a stream.</summary>
    T BindStream<TArgs, TItem, TCodec>(RpcMethodHandler handler, Func<TArgs, CancellationToken, IAsyncEnumerable<TItem>> implementation)
        where TArgs : struct, IWireArgs<TArgs>
        where TCodec : IWireCodec<TItem>;

    /// <summary>
    /// A method that takes a stream (client streaming): its caller streams <typeparamref name="TInput"/> items while it
    /// runs; one result (<see cref="VoidResult"/> with <see cref="WireCodecs.Void"/> for none).
    /// </summary>
    T BindClientStream<TArgs, TInput, TInputCodec, TResult, TCodec>(RpcMethodHandler handler, Func<TArgs, IAsyncEnumerable<TInput>, CancellationToken, ValueTask<TResult>> implementation)
        where TArgs : struct, IWireArgs<TArgs>
        where TInputCodec : IWireCodec<TInput>
        where TCodec : IWireCodec<TResult>;

    /// <summary>A method that takes a stream and returns a stream (bidirectional streaming).</summary>
    T BindDuplexStream<TArgs, TInput, TInputCodec, TItem, TCodec>(RpcMethodHandler handler, Func<TArgs, IAsyncEnumerable<TInput>, CancellationToken, IAsyncEnumerable<TItem>> implementation)
        where TArgs : struct, IWireArgs<TArgs>
        where TInputCodec : IWireCodec<TInput>
        where TCodec : IWireCodec<TItem>;
}
