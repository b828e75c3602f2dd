using Grpc.Core;

namespace SidecarKit.Transports.Grpc;

/// <summary>Generated contract proxies over grpc-dotnet channels and call invokers the application configured.</summary>
public static class GrpcCallInvokerExtensions
{
    /// <summary>
    /// A generated client of <typeparamref name="TContract"/> whose calls go through <paramref name="invoker"/>, with its
    /// interceptors, deadlines, compression and retry policies (see <see cref="GrpcSidecarChannel.Create(CallInvoker, GrpcClientOptions?)"/>).
    /// </summary>
    /// <param name="invoker">The call invoker: <c>grpcChannel.CreateCallInvoker()</c>, or <c>grpcChannel.Intercept(…)</c>.</param>
    /// <param name="options">The bearer token, the default deadline; callbacks need a channel that is disposed, so they are refused here.</param>
    /// <exception cref="ArgumentException"><paramref name="options"/> has callbacks: use <see cref="GrpcSidecarChannel.Create(CallInvoker, GrpcClientOptions?)"/> and dispose it.</exception>
    public static TContract GetSidecarClient<TContract>(this CallInvoker invoker, GrpcClientOptions? options = null)
        where TContract : class, ISidecarContract<TContract>
    {
        ArgumentNullException.ThrowIfNull(invoker);
        ThrowIfCallbacks(options, nameof(options));
        return GrpcSidecarChannel.Create(invoker, options).GetClient<TContract>();
    }

    /// <summary>A generated client of <typeparamref name="TContract"/> whose calls go through <paramref name="channel"/> (a <c>GrpcChannel</c>).</summary>
    /// <inheritdoc cref="GetSidecarClient{TContract}(CallInvoker, GrpcClientOptions?)" path="/exception"/>
    public static TContract GetSidecarClient<TContract>(this ChannelBase channel, GrpcClientOptions? options = null)
        where TContract : class, ISidecarContract<TContract>
    {
        ArgumentNullException.ThrowIfNull(channel);
        return channel.CreateCallInvoker().GetSidecarClient<TContract>(options);
    }

    internal static void ThrowIfCallbacks(GrpcClientOptions? options, string parameter)
    {
        if (options?.Callbacks is { Contracts.Count: > 0 })
            throw new ArgumentException("Callbacks keep a subscription open until the channel is disposed: create a GrpcSidecarChannel with GrpcSidecarChannel.Create and dispose it.", parameter);
    }
}
