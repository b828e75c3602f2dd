using System.Diagnostics.CodeAnalysis;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
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
    private const string Service = "sidecarkit.callbacks.Callbacks";

    private static readonly Marshaller<Empty> s_empty = Marshallers.Create(static (Empty m) => m.ToByteArray(), Empty.Parser.ParseFrom);

    // A CallbackCall is encoded when it is queued; it goes out as it is.
    private static readonly Marshaller<byte[]> s_call = Marshallers.Create(static (byte[] m) => m, static m => m);

    private static readonly Marshaller<CallbackMessages.Reply> s_reply = new(
        static (reply, context) =>
        {
            var encoder = new Protobuf.ProtobufEncoder();
            CallbackMessages.Write(encoder, reply);
            context.Complete(encoder.Buffer.AsSpan(0, encoder.Length).ToArray());
        },
        static context =>
        {
            try
            {
                return CallbackMessages.ReadReply(context.PayloadAsNewBuffer());
            }
            catch (Exception e) when (e is Wire.WireFormatException or OverflowException)
            {
                throw GrpcErrors.Status(GrpcStatusCode.InvalidArgument, "Invalid CallbackReply: " + e.Message, RpcErrorCodes.InvalidParams);
            }
        });

    private static readonly Method<Empty, byte[]> s_subscribe = new(MethodType.ServerStreaming, Service, "Subscribe", s_empty, s_call);
    private static readonly Method<CallbackMessages.Reply, Empty> s_replyMethod = new(MethodType.Unary, Service, "Reply", s_reply, s_empty);

    /// <summary>Adds <c>Subscribe</c> and <c>Reply</c>; <paramref name="stopCalls"/> ends the subscription at shutdown (<c>UNAVAILABLE</c>).</summary>
    public static void Add<[DynamicallyAccessedMembers(GrpcServiceAccess.Members)] TService>(ServiceMethodProviderContext<TService> context, GrpcCallbackChannel channel, CancellationToken stopCalls) where TService : class
    {
        context.AddServerStreamingMethod(s_subscribe, [], async (_, _, stream, call) =>
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
        context.AddUnaryMethod(s_replyMethod, [], (_, reply, _) => channel.Complete(reply)
            ? Task.FromResult(new Empty())
            : throw GrpcErrors.Status(GrpcStatusCode.NotFound, $"No callback {reply.Id} is waiting for a reply (it timed out, was cancelled or was answered)."));
    }
}
