using System.Runtime.CompilerServices;
using SidecarKit.Rpc;
using SidecarKit.Transports.Grpc.Marshalling;
using SidecarKit.Transports.Grpc.Protobuf;
using SidecarKit.Wire;

namespace SidecarKit.Transports.Grpc.Tests;

/// <summary>
/// A channel that takes every call through the protobuf bytes and the handler's gRPC entry point, with no HTTP in
/// between: the generated codecs, the request and response messages, and the handlers bound as the gRPC callbacks
/// bind them (<see cref="ProtobufMethodServer"/>).
/// Each message's bytes are kept so tests can decode them with another implementation.
/// </summary>
internal sealed class ProtobufLoopback(RpcHandlerTable handlers) : RpcChannel
{
    public List<byte[]> Requests { get; } = [];
    public List<byte[]> Responses { get; } = [];

    /// <summary>When set, replaces the next request's bytes (written by someone else) before the handler reads them.</summary>
    public byte[]? NextRequest { get; set; }

    public override async Task<TResult> InvokeAsync<TArgs, TResult, TCodec>(MethodDescriptor method, TArgs args, RpcCallOptions options, CancellationToken cancellationToken)
    {
        byte[] response = await Bind(method).InvokeAsync(Start(method, args), cancellationToken);
        Responses.Add(response);
        return GrpcMethod.For(method).ReadResponse<TResult, TCodec>(response);
    }

    public override async IAsyncEnumerable<TItem> InvokeStreamAsync<TArgs, TItem, TCodec>(MethodDescriptor method, TArgs args, RpcCallOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (byte[] item in Bind(method).StreamAsync(Start(method, args), cancellationToken))
        {
            Responses.Add(item);
            yield return GrpcMethod.For(method).ReadResponse<TItem, TCodec>(item);
        }
    }

    /// <summary>Serves request bytes written by someone else; returns the response messages.</summary>
    public async Task<List<byte[]>> ServeRawAsync(MethodDescriptor method, byte[] request)
    {
        ProtobufMethodServer server = Bind(method);
        if (!server.Streams) return [await server.InvokeAsync(request, default)];
        var responses = new List<byte[]>();
        await foreach (byte[] item in server.StreamAsync(request, default)) responses.Add(item);
        return responses;
    }

    public override void Notify<TArgs>(MethodDescriptor method, TArgs args)
        => InvokeAsync<TArgs, VoidResult, WireCodecs.Void>(method, args, default).GetAwaiter().GetResult();

    private ProtobufMethodServer Bind(MethodDescriptor method)
    {
        Assert.True(handlers.TryGetHandler(method.WireName, out RpcMethodHandler? handler));
        return ProtobufMethodServer.Bind(handler!, GrpcMethod.For(method));
    }

    private byte[] Start<TArgs>(MethodDescriptor method, TArgs args) where TArgs : struct, IWireArgs<TArgs>
    {
        var encoder = new ProtobufEncoder();
        encoder.WriteArgs(in args);
        byte[] request = NextRequest ?? encoder.Buffer.AsSpan(0, encoder.Length).ToArray();
        NextRequest = null;
        Requests.Add(request);
        return request;
    }
}
