using System.Buffers;
using System.Collections.Concurrent;
using Grpc.Core;
using SidecarKit.Transports.Grpc.Protobuf;
using SidecarKit.Wire;

namespace SidecarKit.Transports.Grpc.Marshalling;

/// <summary>
/// grpc-dotnet's <see cref="Marshaller{T}"/>s and <see cref="Method{TRequest, TResponse}"/>s for a contract's methods,
/// over the generated protobuf codecs: the request message is the method's generated args struct
/// (<see cref="GrpcRequest{TArgs}"/>), the response message carries the result or a stream's item as field 1
/// (<see cref="GrpcResponse{TResult}"/>), or is <c>google.protobuf.Empty</c>. They serve both directions (a client's
/// <see cref="CallInvoker"/> and a server's method binding) and use no reflection. grpc-dotnet takes reference types
/// only, hence the two wrappers.
/// </summary>
/// <remarks>
/// Serializers write the message with the protobuf encoder and copy it once into the call's buffer writer, after
/// <see cref="SerializationContext.SetPayloadLength"/>, so grpc-dotnet writes it straight into its frame.
/// Deserializers read the payload in place when it is one segment (the client always hands one), and copy a
/// multi-segment payload once into a pooled buffer. Codec failures (<see cref="WireFormatException"/>,
/// <see cref="FormatException"/>, <see cref="OverflowException"/>) propagate as they are, for the caller to map.
/// </remarks>
public static class GrpcMarshallers
{
    // The encoder is used synchronously inside a serializer and reset before each message, so one per thread serves all.
    [ThreadStatic] private static ProtobufEncoder? t_encoder;

    /// <summary>The marshaller of a method's request message: the generated args struct <typeparamref name="TArgs"/>.</summary>
    public static Marshaller<GrpcRequest<TArgs>> GetRequestMarshaller<TArgs>() where TArgs : struct, IWireArgs<TArgs>
        => RequestMarshaller<TArgs>.Instance;

    /// <summary>
    /// The marshaller of <paramref name="method"/>'s response message: its result (unary) or item (server streaming)
    /// as field 1, read and written with <typeparamref name="TCodec"/>; an empty message for methods without a result
    /// (<see cref="VoidResult"/>). The same instance as <see cref="GetMethod{TArgs, TResult, TCodec}"/>'s.
    /// </summary>
    public static Marshaller<GrpcResponse<TResult>> GetResponseMarshaller<TResult, TCodec>(MethodDescriptor method) where TCodec : IWireCodec<TResult>
    {
        ArgumentNullException.ThrowIfNull(method);
        return ResponseMarshallers<TResult, TCodec>.For(method);
    }

    /// <summary>
    /// The gRPC method of a contract method (<c>/sidecarkit.demo.Demo/Add</c>), built once per
    /// <paramref name="method"/>: <see cref="MethodType.ServerStreaming"/> for <see cref="MethodKind.ServerStream"/>, else
    /// <see cref="MethodType.Unary"/> (notifications included: a unary call returning <c>google.protobuf.Empty</c>).
    /// </summary>
    /// <typeparam name="TArgs">The method's generated args struct.</typeparam>
    /// <typeparam name="TResult">The result, or a stream's item; <see cref="VoidResult"/> for methods without one.</typeparam>
    /// <typeparam name="TCodec">The codec of <typeparamref name="TResult"/>.</typeparam>
    public static Method<GrpcRequest<TArgs>, GrpcResponse<TResult>> GetMethod<TArgs, TResult, TCodec>(MethodDescriptor method)
        where TArgs : struct, IWireArgs<TArgs>
        where TCodec : IWireCodec<TResult>
    {
        ArgumentNullException.ThrowIfNull(method);
        return Methods<TArgs, TResult, TCodec>.For(method);
    }

    /// <summary>
    /// The gRPC method of a contract method that takes a stream (<see cref="MethodKind.ClientStream"/>:
    /// <see cref="MethodType.ClientStreaming"/>; <see cref="MethodKind.DuplexStream"/>: <see cref="MethodType.DuplexStreaming"/>),
    /// whose request stream's messages are <see cref="GrpcInputMessage{TArgs, TItem}"/>. Built once per <paramref name="method"/>.
    /// </summary>
    public static Method<GrpcInputMessage<TArgs, TItem>, GrpcResponse<TResult>> GetInputMethod<TArgs, TItem, TItemCodec, TResult, TCodec>(MethodDescriptor method)
        where TArgs : struct, IWireArgs<TArgs>
        where TItemCodec : IWireCodec<TItem>
        where TCodec : IWireCodec<TResult>
    {
        ArgumentNullException.ThrowIfNull(method);
        if (!method.HasInput) throw new ArgumentException($"'{method.WireName}' takes no stream.", nameof(method));
        return InputMethods<TArgs, TItem, TItemCodec, TResult, TCodec>.For(method);
    }

    // The paths ("/package.Service/Method") of the methods GetInputMethod has built: their request body is a stream.
    private static readonly ConcurrentDictionary<string, bool> s_inputPaths = new(StringComparer.Ordinal);

    /// <summary>Whether the gRPC method at <paramref name="path"/> is a contract method that streams its input (built by <see cref="GetInputMethod"/>).</summary>
    internal static bool StreamsInput(string path) => s_inputPaths.ContainsKey(path);

    /// <summary>The gRPC method type of a contract method.</summary>
    public static MethodType GetMethodType(MethodDescriptor method)
    {
        ArgumentNullException.ThrowIfNull(method);
        return method.Kind switch
        {
            MethodKind.ServerStream => MethodType.ServerStreaming,
            MethodKind.ClientStream => MethodType.ClientStreaming,
            MethodKind.DuplexStream => MethodType.DuplexStreaming,
            _ => MethodType.Unary,
        };
    }

    /// <summary>Reads a message from a span; the span is only valid during the call.</summary>
    internal delegate T SpanReader<T>(ReadOnlySpan<byte> message);

    /// <summary>
    /// A marshaller over the protobuf encoder and a span reader, for the transport's own messages (the callback
    /// service's, health's): <paramref name="write"/> writes the message into a reset encoder.
    /// </summary>
    internal static Marshaller<T> Create<T>(Action<ProtobufEncoder, T> write, SpanReader<T> read)
        => new((value, context) => Serialize(context, value, write), context => Deserialize(context, read));

    private static void Serialize<T>(SerializationContext context, T value, Action<ProtobufEncoder, T> write)
    {
        ProtobufEncoder encoder = t_encoder ??= new ProtobufEncoder();
        encoder.Reset();
        write(encoder, value);
        Complete(context, encoder.Buffer.AsSpan(0, encoder.Length));
    }

    private static void Complete(SerializationContext context, ReadOnlySpan<byte> message)
    {
        // The length first: grpc-dotnet then writes the message straight after its prefix (unless it compresses).
        context.SetPayloadLength(message.Length);
        IBufferWriter<byte> writer = context.GetBufferWriter();
        if (message.Length > 0)
        {
            message.CopyTo(writer.GetSpan(message.Length));
            writer.Advance(message.Length);
        }
        context.Complete();
    }

    private static T Deserialize<T>(DeserializationContext context, SpanReader<T> read)
    {
        ReadOnlySequence<byte> payload = context.PayloadAsReadOnlySequence();
        if (payload.IsSingleSegment) return read(payload.FirstSpan);
        byte[] rented = ArrayPool<byte>.Shared.Rent(checked((int)payload.Length));
        try
        {
            payload.CopyTo(rented);
            return read(rented.AsSpan(0, (int)payload.Length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static class RequestMarshaller<TArgs> where TArgs : struct, IWireArgs<TArgs>
    {
        public static readonly Marshaller<GrpcRequest<TArgs>> Instance = Create<GrpcRequest<TArgs>>(
            static (encoder, request) => encoder.WriteArgs(request.Args),
            static message => new GrpcRequest<TArgs>(ProtobufReader.ReadArgs<TArgs>(message)));
    }

    private static class ResponseMarshallers<TResult, TCodec> where TCodec : IWireCodec<TResult>
    {
        private static readonly ConcurrentDictionary<MethodDescriptor, Marshaller<GrpcResponse<TResult>>> s_cache = new(ReferenceEqualityComparer.Instance);

        public static Marshaller<GrpcResponse<TResult>> For(MethodDescriptor method)
            => s_cache.TryGetValue(method, out Marshaller<GrpcResponse<TResult>>? marshaller) ? marshaller : s_cache.GetOrAdd(method, static m => Build(m));

        private static Marshaller<GrpcResponse<TResult>> Build(MethodDescriptor method)
        {
            GrpcMethod grpc = GrpcMethod.For(method);
            // google.protobuf.Empty reads as one shared instance.
            bool empty = grpc.Response is null || typeof(TResult) == typeof(VoidResult);
            return Create<GrpcResponse<TResult>>(
                (encoder, response) => grpc.WriteResponse<TResult, TCodec>(encoder, response.Value),
                message => empty ? GrpcResponse<TResult>.Default : new GrpcResponse<TResult>(grpc.ReadResponse<TResult, TCodec>(message)));
        }
    }

    private static class Methods<TArgs, TResult, TCodec>
        where TArgs : struct, IWireArgs<TArgs>
        where TCodec : IWireCodec<TResult>
    {
        private static readonly ConcurrentDictionary<MethodDescriptor, Method<GrpcRequest<TArgs>, GrpcResponse<TResult>>> s_cache = new(ReferenceEqualityComparer.Instance);

        public static Method<GrpcRequest<TArgs>, GrpcResponse<TResult>> For(MethodDescriptor method)
            => s_cache.TryGetValue(method, out Method<GrpcRequest<TArgs>, GrpcResponse<TResult>>? m) ? m : s_cache.GetOrAdd(method, static d => Build(d));

        private static Method<GrpcRequest<TArgs>, GrpcResponse<TResult>> Build(MethodDescriptor method)
        {
            GrpcMethod grpc = GrpcMethod.For(method);
            return new Method<GrpcRequest<TArgs>, GrpcResponse<TResult>>(GetMethodType(method), grpc.ServiceName, grpc.Name,
                RequestMarshaller<TArgs>.Instance, ResponseMarshallers<TResult, TCodec>.For(method));
        }
    }

    private static class InputMethods<TArgs, TItem, TItemCodec, TResult, TCodec>
        where TArgs : struct, IWireArgs<TArgs>
        where TItemCodec : IWireCodec<TItem>
        where TCodec : IWireCodec<TResult>
    {
        private static readonly ConcurrentDictionary<MethodDescriptor, Method<GrpcInputMessage<TArgs, TItem>, GrpcResponse<TResult>>> s_cache = new(ReferenceEqualityComparer.Instance);

        public static Method<GrpcInputMessage<TArgs, TItem>, GrpcResponse<TResult>> For(MethodDescriptor method)
            => s_cache.TryGetValue(method, out Method<GrpcInputMessage<TArgs, TItem>, GrpcResponse<TResult>>? m) ? m : s_cache.GetOrAdd(method, static d => Build(d));

        private static Method<GrpcInputMessage<TArgs, TItem>, GrpcResponse<TResult>> Build(MethodDescriptor method)
        {
            GrpcMethod grpc = GrpcMethod.For(method);
            s_inputPaths.TryAdd(grpc.Path, true);
            Marshaller<GrpcInputMessage<TArgs, TItem>> request = Create<GrpcInputMessage<TArgs, TItem>>(
                (encoder, message) => grpc.WriteInput<TArgs, TItem, TItemCodec>(encoder, message),
                message => grpc.ReadInput<TArgs, TItem, TItemCodec>(message));
            return new Method<GrpcInputMessage<TArgs, TItem>, GrpcResponse<TResult>>(GetMethodType(method), grpc.ServiceName, grpc.Name,
                request, ResponseMarshallers<TResult, TCodec>.For(method));
        }
    }
}
