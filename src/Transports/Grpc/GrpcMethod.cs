using System.Collections.Concurrent;
using SidecarKit.Transports.Grpc.Proto;
using SidecarKit.Transports.Grpc.Protobuf;
using SidecarKit.Wire;

namespace SidecarKit.Transports.Grpc;

/// <summary>
/// A contract method as gRPC sees it: its path (<c>/sidecarkit.demo.Demo/Add</c>) and its response message, whose
/// field 1 is the result (<c>result</c>) or a stream's item (<c>item</c>). Built once per method.
/// </summary>
internal sealed class GrpcMethod
{
    private static readonly ConcurrentDictionary<MethodDescriptor, GrpcMethod> s_cache = new(ReferenceEqualityComparer.Instance);

    private GrpcMethod(MethodDescriptor descriptor)
    {
        Descriptor = descriptor;
        string rpc = ProtoExporter.RpcName(descriptor.Contract, descriptor.WireName);
        ServiceName = ProtoExporter.QualifiedServiceName(descriptor.Contract);
        Name = rpc;
        Path = "/" + ServiceName + "/" + rpc;
        if (descriptor.ResultType is { } type)
            Response = new WireMembers(rpc + "Response", [descriptor.Kind == MethodKind.ServerStream ? "item" : "result"], [type], [1]);
    }

    public MethodDescriptor Descriptor { get; }

    /// <summary>The qualified service name (<c>sidecarkit.demo.Demo</c>).</summary>
    public string ServiceName { get; }

    /// <summary>The rpc's name in its service (<c>Add</c>).</summary>
    public string Name { get; }

    public string Path { get; }

    /// <summary>The response message's layout; <see langword="null"/> when the method returns <c>google.protobuf.Empty</c>.</summary>
    public WireMembers? Response { get; }

    public static GrpcMethod For(MethodDescriptor descriptor)
        => s_cache.TryGetValue(descriptor, out GrpcMethod? method) ? method : s_cache.GetOrAdd(descriptor, static d => new GrpcMethod(d));

    /// <summary>Writes a result or item as the response message (nothing for <c>Empty</c>).</summary>
    public void WriteResponse<T, TCodec>(ProtobufEncoder encoder, T value) where TCodec : IWireCodec<T>
    {
        // A null result is an absent field 1 (the codecs of reference types expect the null to be handled around them).
        if (Response is null || typeof(T) == typeof(VoidResult) || value is null) return;
        encoder.WriteResult<T, TCodec>(Response, value);
    }

    /// <summary>Reads a result or item from the response message.</summary>
    public T ReadResponse<T, TCodec>(ReadOnlySpan<byte> message) where TCodec : IWireCodec<T>
    {
        if (Response is null || typeof(T) == typeof(VoidResult)) return default!;
        return ProtobufReader.ReadResult<T, TCodec>(message, Response);
    }
}
