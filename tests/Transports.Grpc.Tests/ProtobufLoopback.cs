using System.Runtime.CompilerServices;
using SidecarKit.Rpc;
using SidecarKit.Transports.Grpc.Protobuf;
using SidecarKit.Wire;

namespace SidecarKit.Transports.Grpc.Tests;

/// <summary>
/// A channel that takes every call through the protobuf bytes and the handler's gRPC entry point, with no HTTP in
/// between: the generated codecs, the request and response messages, and <see cref="RpcMethodHandler.ServeAsync"/>.
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
        var call = Start(method, args);
        Assert.True(handlers.TryGetHandler(method.WireName, out RpcMethodHandler? handler));
        await handler!.ServeAsync(call, cancellationToken);
        byte[] response = Assert.Single(call.Responses);
        Responses.Add(response);
        return GrpcMethod.For(method).ReadResponse<TResult, TCodec>(response);
    }

    public override async IAsyncEnumerable<TItem> InvokeStreamAsync<TArgs, TItem, TCodec>(MethodDescriptor method, TArgs args, RpcCallOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var call = Start(method, args);
        Assert.True(handlers.TryGetHandler(method.WireName, out RpcMethodHandler? handler));
        await handler!.ServeAsync(call, cancellationToken);
        foreach (byte[] item in call.Responses)
        {
            Responses.Add(item);
            yield return GrpcMethod.For(method).ReadResponse<TItem, TCodec>(item);
        }
    }

    /// <summary>Serves request bytes written by someone else; returns the response messages.</summary>
    public async Task<List<byte[]>> ServeRawAsync(MethodDescriptor method, byte[] request)
    {
        var call = new Call(GrpcMethod.For(method), request);
        Assert.True(handlers.TryGetHandler(method.WireName, out RpcMethodHandler? handler));
        await handler!.ServeAsync(call, default);
        return call.Responses;
    }

    public override void Notify<TArgs>(MethodDescriptor method, TArgs args)
        => InvokeAsync<TArgs, VoidResult, WireCodecs.Void>(method, args, default).GetAwaiter().GetResult();

    private Call Start<TArgs>(MethodDescriptor method, TArgs args) where TArgs : struct, IWireArgs<TArgs>
    {
        var encoder = new ProtobufEncoder();
        encoder.WriteArgs(in args);
        byte[] request = NextRequest ?? encoder.Buffer.AsSpan(0, encoder.Length).ToArray();
        NextRequest = null;
        Requests.Add(request);
        return new Call(GrpcMethod.For(method), request);
    }

    private sealed class Call(GrpcMethod method, byte[] request) : IRpcServerCall
    {
        public List<byte[]> Responses { get; } = [];

        public TArgs ReadArgs<TArgs>() where TArgs : struct, IWireArgs<TArgs> => ProtobufReader.ReadArgs<TArgs>(request);

        public ValueTask WriteResultAsync<TResult, TCodec>(TResult result, CancellationToken cancellationToken) where TCodec : IWireCodec<TResult>
            => WriteItemAsync<TResult, TCodec>(result, cancellationToken);

        public ValueTask WriteItemAsync<TItem, TCodec>(TItem item, CancellationToken cancellationToken) where TCodec : IWireCodec<TItem>
        {
            var encoder = new ProtobufEncoder();
            method.WriteResponse<TItem, TCodec>(encoder, item);
            Responses.Add(encoder.Buffer.AsSpan(0, encoder.Length).ToArray());
            return ValueTask.CompletedTask;
        }
    }
}
