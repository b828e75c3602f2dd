using SidecarKit.Rpc;

namespace SidecarKit.Transports.Grpc.Server;

/// <summary>
/// The channel a contract implementation calls its parent back on when served over gRPC. Placeholder until the
/// callback mapping exists: every call fails with a clear error.
/// </summary>
internal sealed class GrpcCallbackChannel : RpcChannel
{
    private static SidecarRemoteException Unsupported(MethodDescriptor method)
        => new(RpcErrorCodes.MethodNotFound, $"'{method.WireName}' calls the parent back, which the gRPC transport does not carry yet.");

    public override Task<TResult> InvokeAsync<TArgs, TResult, TCodec>(MethodDescriptor method, TArgs args, CancellationToken cancellationToken)
        => Task.FromException<TResult>(Unsupported(method));

    public override IAsyncEnumerable<TItem> InvokeStreamAsync<TArgs, TItem, TCodec>(MethodDescriptor method, TArgs args, CancellationToken cancellationToken)
        => throw Unsupported(method);

    public override void Notify<TArgs>(MethodDescriptor method, TArgs args) { }
}
