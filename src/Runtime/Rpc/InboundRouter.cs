using Microsoft.Extensions.Logging;

namespace SidecarKit.Rpc;

/// <summary>
/// Where each admitted message goes, by kind: requests and notifications to the <see cref="ControlMessages"/> (the
/// engine's own <c>$/…</c>) or to the method's handler (through <see cref="InboundRequests"/>, which admits and runs
/// them); answers to the call this side is waiting on (<see cref="OutboundCalls"/>); a message the protocol could not
/// understand to an error reply when it deserves one. Called by <see cref="ConnectionReader"/> once per message, on
/// the read loop: nothing here blocks or allocates unless a request starts or an error is answered.
/// </summary>
internal sealed class InboundRouter(
    RpcConnection connection,
    RpcHandlerTable handlers,
    InboundRequests requests,
    ControlMessages control,
    OutboundCalls outbound,
    ILogger log)
{
    /// <summary>Routes one message; its payload is valid only during this call.</summary>
    public void Route(in RpcMessage message)
    {
        switch (message.Kind)
        {
            case RpcMessageKind.Request:
            case RpcMessageKind.Notification:
                RouteCall(in message);
                return;

            case RpcMessageKind.Result:
            case RpcMessageKind.Error:
                RouteAnswer(in message);
                return;

            default:
                // The protocol gives an id (possibly null) to messages that deserve an answer; an invalid response
                // has none, because answering it could start an endless exchange of errors between two peers.
                log.LogInvalidMessage(message.ErrorCode, message.ErrorMessage ?? "");
                if (message.Id.IsPresent) requests.SendError(message.Id, message.ErrorCode, message.ErrorMessage ?? "Invalid message.");
                return;
        }
    }

    private void RouteCall(in RpcMessage message)
    {
        string method = message.Method!;
        if (method.StartsWith("$/", StringComparison.Ordinal) && control.TryHandle(in message))
            return;
        bool isRequest = message.Kind == RpcMessageKind.Request;
        if (isRequest && requests.Table.IsRunning(message.Id))
        {
            requests.RejectDuplicate(message.Id);
            return;
        }
        if (handlers.TryGetHandler(method, out RpcMethodHandler? handler))
        {
            if (isRequest && requests.RefusesNew(method))
                requests.RejectShuttingDown(in message);
            else
                handler.ConnectionDispatch.Dispatch(connection, in message);
        }
        else if (isRequest)
            requests.Reject(in message, RpcErrorCodes.MethodNotFound, $"Method not found: '{method}'.");
        else
            log.LogUnknownNotification(method);
    }

    private void RouteAnswer(in RpcMessage message)
    {
        PendingCall? call = outbound.Take(message.Id);
        if (call is not null)
            call.OnResponse(in message);
        else if (message.Kind == RpcMessageKind.Error)
            log.LogUnmatchedError(message.Id.ToString(), message.ErrorCode, message.ErrorMessage);
        else
            log.LogUnmatchedResponse(message.Id.ToString());
    }
}
