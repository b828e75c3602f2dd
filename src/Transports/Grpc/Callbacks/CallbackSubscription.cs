using System.Text.Json;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using SidecarKit.Rpc;
using SidecarKit.Transports.Grpc.Marshalling;
using SidecarKit.Transports.Grpc.Protobuf;
using SidecarKit.Wire;

namespace SidecarKit.Transports.Grpc.Callbacks;

/// <summary>
/// The parent's side of callbacks over gRPC: keeps a subscription to the sidecar's calls open (a server-streaming
/// <c>Subscribe</c> on its <see cref="CallInvoker"/>), serves each with the parent's handlers and answers it with
/// <c>Reply</c>. A subscription that breaks is opened again while the channel lives.
/// </summary>
internal sealed class CallbackSubscription
{
    private static readonly TimeSpan s_replyTimeout = TimeSpan.FromSeconds(30);

    private readonly CallInvoker _invoker;
    private readonly Func<Metadata?> _headers;
    private readonly Dictionary<string, ProtobufMethodServer> _methods = new(StringComparer.Ordinal);
    private readonly ILogger _logger;
    private readonly TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="invoker">Where the subscription and the replies go: a connection of their own, so a reply never waits for a stream slot held by the calls waiting for it.</param>
    /// <param name="headers">Each call's headers (the bearer token).</param>
    /// <param name="handlers">The parent's handlers of the callback contracts.</param>
    /// <param name="logger">Where failed callbacks and replies are logged.</param>
    /// <param name="stop">Ends the subscription.</param>
    public CallbackSubscription(CallInvoker invoker, Func<Metadata?> headers, RpcHandlerTable handlers, ILogger logger, CancellationToken stop)
    {
        _invoker = invoker;
        _headers = headers;
        _logger = logger;
        foreach (ContractDescriptor contract in handlers.Contracts)
            foreach (MethodDescriptor method in contract.Methods)
                if (handlers.TryGetHandler(method.WireName, out RpcMethodHandler? handler))
                    _methods[method.WireName] = ProtobufMethodServer.Bind(handler, GrpcMethod.For(method));
        _ = Task.Run(() => RunAsync(stop), CancellationToken.None);
    }

    /// <summary>Completes once the sidecar holds the first subscription.</summary>
    public Task Subscribed => _subscribed.Task;

    private async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await SubscribeOnceAsync(stop).ConfigureAwait(false);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.AlreadyExists or StatusCode.Unauthenticated or StatusCode.Unimplemented)
            {
                GrpcStatusException fatal = GrpcClientErrors.FromStatus(e, null);
                _subscribed.TrySetException(fatal);
                _logger.LogError("The sidecar refused the callback subscription: {Reason}", fatal.Message);
                return;
            }
            catch (Exception e)
            {
                // Whatever broke it (the sidecar went away, a bad message, a connect timeout), the loop lives on while the channel does.
                _logger.LogDebug("The callback subscription ended: {Reason}", e.Message);
            }
            try { await Task.Delay(TimeSpan.FromSeconds(1), stop).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
        }
    }

    private async Task SubscribeOnceAsync(CancellationToken stop)
    {
        using AsyncServerStreamingCall<CallbackMessages.Call> subscription = _invoker.AsyncServerStreamingCall(
            CallbackMessages.SubscribeMethod, null, new CallOptions(_headers(), cancellationToken: stop), CallbackMessages.Empty.Instance);
        // The sidecar answers the headers once it holds the subscription; a refusal comes as a status without a message
        // (trailers only), which ends the call before its headers are seen.
        await subscription.ResponseHeadersAsync.ConfigureAwait(false);
        ThrowIfEnded(subscription);
        _subscribed.TrySetResult();
        IAsyncStreamReader<CallbackMessages.Call> calls = subscription.ResponseStream;
        while (await calls.MoveNext(stop).ConfigureAwait(false))
        {
            CallbackMessages.Call call = calls.Current;
            // Notifications run in the order sent, before anything after them; calls run side by side.
            if (call.Id == 0) await ServeAsync(call, stop).ConfigureAwait(false);
            else _ = Task.Run(() => ServeAsync(call, stop), CancellationToken.None);
        }
    }

    private static void ThrowIfEnded(AsyncServerStreamingCall<CallbackMessages.Call> call)
    {
        Status status;
        try
        {
            status = call.GetStatus();
        }
        catch (InvalidOperationException)
        {
            return;   // still running: the subscription is open
        }
        if (status.StatusCode != StatusCode.OK) throw new RpcException(status, call.GetTrailers());
    }

    private async Task ServeAsync(CallbackMessages.Call call, CancellationToken stop)
    {
        CallbackMessages.Reply reply;
        if (!_methods.TryGetValue(call.Method, out var target))
        {
            reply = Error(call.Id, RpcErrorCodes.MethodNotFound, $"The parent does not serve '{call.Method}'.", null);
        }
        else if (target.Streams)
        {
            reply = Error(call.Id, RpcErrorCodes.MethodNotFound, "Callbacks over gRPC carry unary calls and notifications only.", null);
        }
        else
        {
            SidecarKit.Diagnostics.CallTelemetry? telemetry = SidecarKit.Diagnostics.CallTelemetry.StartServer(call.Method, "grpc", call.Trace);
            try
            {
                reply = new CallbackMessages.Reply(call.Id, await target.InvokeAsync(call.Request, stop).ConfigureAwait(false), 0, "", "");
                telemetry?.Stop(null);
            }
            catch (Exception e) when (e is WireFormatException && !stop.IsCancellationRequested)
            {
                telemetry?.Stop(e);
                // Thrown only while reading the request: the codecs never throw it while writing what a handler returned.
                reply = Error(call.Id, RpcErrorCodes.InvalidParams, $"Invalid params for '{call.Method}': {e.Message}", null);
            }
            catch (Exception e)
            {
                telemetry?.Stop(e);
                bool cancelled = stop.IsCancellationRequested;
                if (RpcError.IsUnexpected(e, cancelled)) _logger.LogError(e, "The callback '{Method}' failed.", call.Method);
                RpcError error = RpcError.FromException(e, cancelled);
                reply = Error(call.Id, error.Code, error.Message, error.Data);
            }
        }
        if (call.Id == 0) return;   // a notification: no reply
        try
        {
            using AsyncUnaryCall<CallbackMessages.Empty> answer = _invoker.AsyncUnaryCall(CallbackMessages.ReplyMethod, null,
                new CallOptions(_headers(), DateTime.UtcNow + s_replyTimeout, stop), reply);
            await answer.ResponseAsync.ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !stop.IsCancellationRequested)
        {
            _logger.LogWarning("The reply to the callback '{Method}' was not delivered: {Reason}", call.Method, e.Message);
        }
    }

    private static CallbackMessages.Reply Error(ulong id, int code, string message, RpcErrorData? data)
        => new(id, [], code == 0 ? RpcErrorCodes.InternalError : code, message,
            Server.GrpcErrors.ErrorDataJson(data) is { } json ? System.Text.Encoding.UTF8.GetString(json) : "");
}
