using System.Runtime.CompilerServices;
using SidecarKit.Rpc;
using SidecarKit.Transports.Grpc.Protobuf;
using SidecarKit.Wire;

namespace SidecarKit.Transports.Grpc.Marshalling;

/// <summary>
/// A handler served from protobuf request bytes to protobuf response messages, with no HTTP in between: how the parent
/// serves the callbacks that arrive on its subscription (their bytes come inside a <c>Call</c> message). Bound from the
/// handler like every other transport's (<see cref="RpcMethodHandler.Bind{T}"/>).
/// </summary>
internal abstract class ProtobufMethodServer
{
    /// <summary>Whether the method streams its result (served with <see cref="StreamAsync"/>, not <see cref="InvokeAsync"/>).</summary>
    public abstract bool Streams { get; }

    /// <summary>Serves a unary call: the request message in, the response message out.</summary>
    public abstract ValueTask<byte[]> InvokeAsync(byte[] request, CancellationToken cancellationToken);

    /// <summary>Serves a call with a streamed result: one response message per item.</summary>
    public abstract IAsyncEnumerable<byte[]> StreamAsync(byte[] request, CancellationToken cancellationToken);

    /// <summary>Binds <paramref name="handler"/>, whose gRPC shape is <paramref name="method"/>.</summary>
    public static ProtobufMethodServer Bind(RpcMethodHandler handler, GrpcMethod method) => handler.Bind(new Binder(method));

    private static byte[] Encode<T, TCodec>(GrpcMethod method, T value) where TCodec : IWireCodec<T>
    {
        var encoder = new ProtobufEncoder();
        method.WriteResponse<T, TCodec>(encoder, value);
        return encoder.Buffer.AsSpan(0, encoder.Length).ToArray();
    }

    private sealed class Binder(GrpcMethod method) : IRpcMethodBinder<ProtobufMethodServer>
    {
        public ProtobufMethodServer BindUnary<TArgs, TResult, TCodec>(RpcMethodHandler handler, Func<TArgs, CancellationToken, ValueTask<TResult>> implementation)
            where TArgs : struct, IWireArgs<TArgs>
            where TCodec : IWireCodec<TResult>
            => new Unary<TArgs, TResult, TCodec>(method, implementation);

        public ProtobufMethodServer BindStream<TArgs, TItem, TCodec>(RpcMethodHandler handler, Func<TArgs, CancellationToken, IAsyncEnumerable<TItem>> implementation)
            where TArgs : struct, IWireArgs<TArgs>
            where TCodec : IWireCodec<TItem>
            => new Stream<TArgs, TItem, TCodec>(method, implementation);

        // A callback's request arrives whole inside one Call message: there is no request stream to carry items.
        public ProtobufMethodServer BindClientStream<TArgs, TInput, TInputCodec, TResult, TCodec>(RpcMethodHandler handler, Func<TArgs, IAsyncEnumerable<TInput>, CancellationToken, ValueTask<TResult>> implementation)
            where TArgs : struct, IWireArgs<TArgs>
            where TInputCodec : IWireCodec<TInput>
            where TCodec : IWireCodec<TResult>
            => new Refused(method);

        public ProtobufMethodServer BindDuplexStream<TArgs, TInput, TInputCodec, TItem, TCodec>(RpcMethodHandler handler, Func<TArgs, IAsyncEnumerable<TInput>, CancellationToken, IAsyncEnumerable<TItem>> implementation)
            where TArgs : struct, IWireArgs<TArgs>
            where TInputCodec : IWireCodec<TInput>
            where TCodec : IWireCodec<TItem>
            => new Refused(method);
    }

    // Each call of it fails, clearly; the callback's other methods are served as usual.
    private sealed class Refused(GrpcMethod method) : ProtobufMethodServer
    {
        public override bool Streams => method.Descriptor.StreamsResult;

        public override ValueTask<byte[]> InvokeAsync(byte[] request, CancellationToken cancellationToken) => throw NoStreamedParameters(method);

        public override IAsyncEnumerable<byte[]> StreamAsync(byte[] request, CancellationToken cancellationToken) => throw NoStreamedParameters(method);
    }

    /// <summary>The refusal of a callback method that takes a stream, which the gRPC callback subscription cannot carry.</summary>
    public static NotSupportedException NoStreamedParameters(GrpcMethod method)
        => new($"'{method.Descriptor.WireName}' takes a stream (IAsyncEnumerable<T> parameter): callbacks over gRPC carry each call in one message, so they cannot take one. Use the jsonl or msgpack transport for such a callback, or send the items as a list or in several calls.");

    private sealed class Unary<TArgs, TResult, TCodec>(GrpcMethod method, Func<TArgs, CancellationToken, ValueTask<TResult>> implementation)
        : ProtobufMethodServer
        where TArgs : struct, IWireArgs<TArgs>
        where TCodec : IWireCodec<TResult>
    {
        public override bool Streams => false;

        public override async ValueTask<byte[]> InvokeAsync(byte[] request, CancellationToken cancellationToken)
        {
            TArgs args = ProtobufReader.ReadArgs<TArgs>(request);
            TResult result = await implementation(args, cancellationToken).ConfigureAwait(false);
            return Encode<TResult, TCodec>(method, result);
        }

        public override IAsyncEnumerable<byte[]> StreamAsync(byte[] request, CancellationToken cancellationToken)
            => throw new InvalidOperationException($"'{method.Descriptor.WireName}' is unary.");
    }

    private sealed class Stream<TArgs, TItem, TCodec>(GrpcMethod method, Func<TArgs, CancellationToken, IAsyncEnumerable<TItem>> implementation)
        : ProtobufMethodServer
        where TArgs : struct, IWireArgs<TArgs>
        where TCodec : IWireCodec<TItem>
    {
        public override bool Streams => true;

        public override ValueTask<byte[]> InvokeAsync(byte[] request, CancellationToken cancellationToken)
            => throw new InvalidOperationException($"'{method.Descriptor.WireName}' streams its result.");

        public override async IAsyncEnumerable<byte[]> StreamAsync(byte[] request, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            TArgs args = ProtobufReader.ReadArgs<TArgs>(request);
            await foreach (TItem item in implementation(args, cancellationToken).WithCancellation(cancellationToken).ConfigureAwait(false))
                yield return Encode<TItem, TCodec>(method, item);
        }
    }
}
