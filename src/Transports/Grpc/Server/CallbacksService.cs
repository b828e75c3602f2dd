using System.Diagnostics.CodeAnalysis;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using SidecarKit.Rpc;
using SidecarKit.Transports.Grpc.Callbacks;

namespace SidecarKit.Transports.Grpc.Server;

/// <summary>
/// <c>sidecarkit.callbacks.Callbacks</c> as an ordinary grpc-dotnet service: <c>Subscribe</c> streams the sidecar's
/// calls to its parent (<see cref="GrpcCallbackChannel"/>), <c>Reply</c> hands the parent's answers back.
/// </summary>
internal static class CallbacksService
{
    // A reply that does not decode is the parent's error: INVALID_ARGUMENT.
    private static readonly Method<CallbackMessages.Reply, CallbackMessages.Empty> s_reply = new(MethodType.Unary, CallbackMessages.ServiceName,
        CallbackMessages.ReplyMethod.Name,
        GrpcErrors.WithDecodeErrorsAs(CallbackMessages.ReplyMarshaller,
            static e => GrpcErrors.Status(GrpcStatusCode.InvalidArgument, "Invalid CallbackReply: " + e.Message, RpcErrorCodes.InvalidParams)),
        CallbackMessages.EmptyMarshaller);

    /// <summary>Adds <c>Subscribe</c> and <c>Reply</c>; <paramref name="stopCalls"/> ends the subscription at shutdown (<c>UNAVAILABLE</c>).</summary>
    public static void Add<[DynamicallyAccessedMembers(GrpcServiceAccess.Members)] TService>(ServiceMethodProviderContext<TService> context, GrpcCallbackChannel channel, CancellationToken stopCalls) where TService : class
    {
        context.AddServerStreamingMethod(CallbackMessages.SubscribeMethod, [], async (_, _, stream, call) =>
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(call.CancellationToken, stopCalls);
            try
            {
                await channel.ServeSubscriptionAsync(stream, call, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopCalls.IsCancellationRequested && !call.CancellationToken.IsCancellationRequested)
            {
                throw GrpcErrors.Status(GrpcStatusCode.Unavailable, "The sidecar is shutting down.");
            }
        });
        context.AddUnaryMethod(s_reply, [], (_, reply, _) => channel.Complete(reply)
            ? Task.FromResult(CallbackMessages.Empty.Instance)
            : throw GrpcErrors.Status(GrpcStatusCode.NotFound, $"No callback {reply.Id} is waiting for a reply (it timed out, was cancelled or was answered)."));
    }
}
