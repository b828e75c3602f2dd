using System.Net.Http.Headers;
using System.IO.Pipelines;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using SidecarKit.Rpc;
using SidecarKit.Transports.Grpc.Protobuf;
using SidecarKit.Wire;

namespace SidecarKit.Transports.Grpc.Callbacks;

/// <summary>
/// The parent's side of callbacks over gRPC: keeps a subscription to the sidecar's calls open, serves each with the
/// parent's handlers and answers it with <c>Reply</c>. A subscription that breaks is opened again while the channel lives.
/// </summary>
internal sealed class CallbackSubscription
{
    private readonly GrpcSidecarChannel _channel;
    private readonly Dictionary<string, (RpcMethodHandler Handler, GrpcMethod Method)> _methods = new(StringComparer.Ordinal);
    private readonly ILogger _logger;
    private readonly TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public CallbackSubscription(GrpcSidecarChannel channel, RpcHandlerTable handlers, ILogger logger, CancellationToken stop)
    {
        _channel = channel;
        _logger = logger;
        foreach (ContractDescriptor contract in handlers.Contracts)
            foreach (MethodDescriptor method in contract.Methods)
                if (handlers.TryGetHandler(method.WireName, out RpcMethodHandler? handler))
                    _methods[method.WireName] = (handler, GrpcMethod.For(method));
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
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Whatever broke it (the sidecar went away, a bad message, a connect timeout), the loop lives on while the channel does.
                if (e is GrpcStatusException { Status: GrpcStatusCode.AlreadyExists or GrpcStatusCode.Unauthenticated or GrpcStatusCode.Unimplemented } fatal)
                {
                    _subscribed.TrySetException(fatal);
                    _logger.LogError("The sidecar refused the callback subscription: {Reason}", fatal.Message);
                    return;
                }
                _logger.LogDebug("The callback subscription ended: {Reason}", e.Message);
            }
            try { await Task.Delay(TimeSpan.FromSeconds(1), stop).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
        }
    }

    private async Task SubscribeOnceAsync(CancellationToken stop)
    {
        (HttpResponseMessage response, PipeReader body, HttpHeaders status) = await _channel.OpenStreamAsync(CallbackMessages.SubscribePath, ReadOnlyMemory<byte>.Empty, stop).ConfigureAwait(false);
        using (response)
        {
            _subscribed.TrySetResult();
            while (await GrpcMessageReader.ReadAsync(body, _channel.MaxReceiveMessageSize, gzip: false, stop).ConfigureAwait(false) is { } message)
            {
                CallbackMessages.Call call;
                using (message) call = CallbackMessages.ReadCall(message.Span);
                // Notifications run in the order sent, before anything after them; calls run side by side.
                if (call.Id == 0) await ServeAsync(call, stop).ConfigureAwait(false);
                else _ = Task.Run(() => ServeAsync(call, stop), CancellationToken.None);
            }
            GrpcSidecarChannel.ThrowIfStatusFailed(status);
        }
    }

    private async Task ServeAsync(CallbackMessages.Call call, CancellationToken stop)
    {
        CallbackMessages.Reply reply;
        if (!_methods.TryGetValue(call.Method, out var target))
        {
            reply = Error(call.Id, RpcErrorCodes.MethodNotFound, $"The parent does not serve '{call.Method}'.", null);
        }
        else
        {
            var serverCall = new ParentCall(call.Request, target.Method);
            try
            {
                await target.Handler.ServeAsync(serverCall, stop).ConfigureAwait(false);
                reply = new CallbackMessages.Reply(call.Id, serverCall.Response, 0, "", "");
            }
            catch (SidecarRemoteException e)
            {
                reply = Error(call.Id, e.Code, e.Message, e.ErrorData);
            }
            catch (Exception e) when (e is WireFormatException or FormatException or OverflowException && !serverCall.Answered)
            {
                reply = Error(call.Id, RpcErrorCodes.InvalidParams, $"Invalid params for '{call.Method}': {e.Message}", null);
            }
            catch (Exception e)
            {
                _logger.LogError(e, "The callback '{Method}' failed.", call.Method);
                reply = Error(call.Id, RpcErrorCodes.InternalError, e.Message, null);
            }
        }
        if (call.Id == 0) return;   // a notification: no reply
        try
        {
            var encoder = new ProtobufEncoder();
            CallbackMessages.Write(encoder, reply);
            await _channel.CallAsync(CallbackMessages.ReplyPath, encoder.Buffer.AsMemory(0, encoder.Length), TimeSpan.FromSeconds(30), stop).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !stop.IsCancellationRequested)
        {
            _logger.LogWarning("The reply to the callback '{Method}' was not delivered: {Reason}", call.Method, e.Message);
        }
    }

    private static CallbackMessages.Reply Error(ulong id, int code, string message, JsonElement? data)
        => new(id, [], code == 0 ? RpcErrorCodes.InternalError : code, message, data?.GetRawText() ?? "");

    /// <summary>One callback served by the parent's handler: its request message in, its response message out.</summary>
    private sealed class ParentCall(byte[] request, GrpcMethod method) : IRpcServerCall
    {
        public byte[] Response { get; private set; } = [];

        public bool Answered { get; private set; }

        public TArgs ReadArgs<TArgs>() where TArgs : struct, IWireArgs<TArgs> => ProtobufReader.ReadArgs<TArgs>(request);

        public ValueTask WriteResultAsync<TResult, TCodec>(TResult result, CancellationToken cancellationToken) where TCodec : IWireCodec<TResult>
        {
            var encoder = new ProtobufEncoder();
            method.WriteResponse<TResult, TCodec>(encoder, result);
            Response = encoder.Buffer.AsSpan(0, encoder.Length).ToArray();
            Answered = true;
            return default;
        }

        public ValueTask WriteItemAsync<TItem, TCodec>(TItem item, CancellationToken cancellationToken) where TCodec : IWireCodec<TItem>
            => throw new GrpcStatusException(GrpcStatusCode.Unimplemented, RpcErrorCodes.MethodNotFound, "Callbacks over gRPC carry unary calls and notifications only.");
    }
}
