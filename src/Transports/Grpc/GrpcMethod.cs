using SidecarKit.Transports.Grpc.Marshalling;
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
        if (descriptor.Result is { } type)
            Response = new WireMembers(rpc + "Response", [new Schema.WireField(descriptor.StreamsResult ? "item" : "result", type, 1)]);
        if (descriptor.Input is { } input)
        {
            // Optional (explicit presence): a message without the field carries no item, and an item of 0 or "" is still one.
            Schema.WireType item = input.Type.IsNullable ? input.Type : Schema.WireType.NullableOf(input.Type);
            Input = new WireMembers(rpc + "Request", [new Schema.WireField(input.Name, item, input.Number)]);
        }
    }

    public MethodDescriptor Descriptor { get; }

    /// <summary>The qualified service name (<c>sidecarkit.demo.Demo</c>).</summary>
    public string ServiceName { get; }

    /// <summary>The rpc's name in its service (<c>Add</c>).</summary>
    public string Name { get; }

    public string Path { get; }

    /// <summary>The response message's layout; <see langword="null"/> when the method returns <c>google.protobuf.Empty</c>.</summary>
    public WireMembers? Response { get; }

    /// <summary>The streamed parameter's field in the request message (client and bidirectional streaming); <see langword="null"/> for other kinds.</summary>
    public WireMembers? Input { get; }

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

    /// <summary>Writes a message of the request stream of a method that takes a stream: its parameters, its item, or both.</summary>
    public void WriteInput<TArgs, TItem, TCodec>(ProtobufEncoder encoder, GrpcInputMessage<TArgs, TItem> message)
        where TArgs : struct, IWireArgs<TArgs>
        where TCodec : IWireCodec<TItem>
    {
        if (message.HasArgs) encoder.WriteArgs(message.Args);
        if (!message.HasItem) return;
        if (message.Item is null)
            throw new WireFormatException($"An item of the input stream of '{Descriptor.WireName}' is null: gRPC carries an absent item field as no item, so a null cannot be sent.");
        // The item as one more field of the same message: protobuf fields concatenate.
        encoder.WriteResult<TItem, TCodec>(Input!, message.Item);
    }

    /// <summary>
    /// Reads a message of the request stream: its item, if the item field is there, and the bytes of its other fields
    /// (the parameters, decoded by whoever needs them: the first message's), copied only when there are any.
    /// </summary>
    public GrpcInputMessage<TArgs, TItem> ReadInput<TArgs, TItem, TCodec>(ReadOnlySpan<byte> message)
        where TArgs : struct, IWireArgs<TArgs>
        where TCodec : IWireCodec<TItem>
    {
        int number = Input!.Fields![0].Number;
        bool hasItem = false, hasOther = false;
        int pos = 0;
        while (pos < message.Length)
        {
            ulong tag = ProtoWire.ReadVarint(message, ref pos, message.Length);
            if ((int)(tag >> 3) == number) hasItem = true;
            else hasOther = true;
            ProtoWire.SkipField(message, (int)(tag & 7), ref pos, message.Length);
        }
        TItem item = hasItem ? ProtobufReader.ReadResult<TItem, TCodec>(message, Input) : default!;
        return GrpcInputMessage<TArgs, TItem>.Received(hasOther ? message.ToArray() : null, hasItem, item);
    }
}
