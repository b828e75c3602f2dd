using System.Buffers;
using Grpc.Core;
using SidecarKit.Transports.Grpc.Proto;
using SidecarKit.Transports.Grpc.Protobuf;
using SidecarKit.Wire;

namespace SidecarKit.Transports.Grpc.Marshalling;

/// <summary>
/// grpc-dotnet <see cref="Marshaller{T}"/>s and <see cref="Method{TRequest, TResponse}"/>s over the generated protobuf
/// codecs: the request message is the method's args struct, the response message its result or stream item as field 1
/// (or <c>google.protobuf.Empty</c>). Both directions; no reflection. Codec failures propagate as they are.
/// </summary>
/// <remarks>A minimal version for the server until the client branch's (the owner of this file) lands.</remarks>
public static class GrpcMarshallers
{
    // Messages are encoded and copied out synchronously, so one encoder per thread serves every call.
    [ThreadStatic] private static ProtobufEncoder? t_encoder;

    /// <summary>The marshaller of a request message: the generated args struct <typeparamref name="TArgs"/>.</summary>
    public static Marshaller<GrpcRequest<TArgs>> GetRequestMarshaller<TArgs>() where TArgs : struct, IWireArgs<TArgs>
        => RequestMarshaller<TArgs>.Instance;

    /// <summary>The marshaller of <paramref name="method"/>'s response message, its result or item read and written with <typeparamref name="TCodec"/>.</summary>
    public static Marshaller<GrpcResponse<TResult>> GetResponseMarshaller<TResult, TCodec>(MethodDescriptor method) where TCodec : IWireCodec<TResult>
    {
        ArgumentNullException.ThrowIfNull(method);
        GrpcMethod grpc = GrpcMethod.For(method);
        return new Marshaller<GrpcResponse<TResult>>(
            (response, context) => Serialize(context, (encoder, r) => grpc.WriteResponse<TResult, TCodec>(encoder, r.Value), response),
            context => Deserialize(context, message => new GrpcResponse<TResult>(grpc.ReadResponse<TResult, TCodec>(message))));
    }

    /// <summary>The gRPC method of a contract method (<c>/sidecarkit.demo.Demo/Add</c>).</summary>
    public static Method<GrpcRequest<TArgs>, GrpcResponse<TResult>> GetMethod<TArgs, TResult, TCodec>(MethodDescriptor method)
        where TArgs : struct, IWireArgs<TArgs>
        where TCodec : IWireCodec<TResult>
    {
        ArgumentNullException.ThrowIfNull(method);
        return new Method<GrpcRequest<TArgs>, GrpcResponse<TResult>>(GetMethodType(method), ProtoExporter.QualifiedServiceName(method.Contract),
            ProtoExporter.RpcName(method.Contract, method.WireName), GetRequestMarshaller<TArgs>(), GetResponseMarshaller<TResult, TCodec>(method));
    }

    /// <summary>The gRPC method type of a contract method.</summary>
    public static MethodType GetMethodType(MethodDescriptor method)
        => method.Kind == MethodKind.ServerStream ? MethodType.ServerStreaming : MethodType.Unary;

    internal delegate T SpanReader<T>(ReadOnlySpan<byte> message);

    private static void Serialize<T>(SerializationContext context, Action<ProtobufEncoder, T> write, T value)
    {
        ProtobufEncoder encoder = t_encoder ??= new ProtobufEncoder();
        encoder.Reset();
        write(encoder, value);
        ReadOnlySpan<byte> message = encoder.Buffer.AsSpan(0, encoder.Length);
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
        public static readonly Marshaller<GrpcRequest<TArgs>> Instance = new(
            static (request, context) => Serialize(context, static (encoder, r) => encoder.WriteArgs(r.Args), request),
            static context => Deserialize(context, static message => new GrpcRequest<TArgs>(ProtobufReader.ReadArgs<TArgs>(message))));
    }
}
