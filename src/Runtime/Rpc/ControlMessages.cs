using SidecarKit.Wire;

namespace SidecarKit.Rpc;

/// <summary>
/// The engine's own notifications received (<see cref="ProtocolMethods"/>, all named <c>$/…</c>): a cancellation, a
/// stream credit or an input item or end for a request running here; a stream item or input credit for a call this
/// side is waiting on. They are handled on the
/// read loop, in arrival order, and never reach the method handlers. (This side sends its own through
/// <see cref="RpcConnection"/>'s <c>SendCancel</c>, <c>SendCredit</c>, <c>SendInputCredit</c> and <c>SendHello</c>, and the input items from <see cref="OutboundInput"/>.)
/// </summary>
internal sealed class ControlMessages(RpcProtocol protocol, InboundRequests requests, OutboundCalls outbound, Microsoft.Extensions.Logging.ILogger log)
{
    /// <summary>Handles <paramref name="message"/> if it is a control message; <see langword="false"/> otherwise.</summary>
    public bool TryHandle(in RpcMessage message)
    {
        try
        {
            switch (message.Method)
            {
                case ProtocolMethods.CancelRequest:
                {
                    RequestId id = protocol.ReadArgs<CancelParams>(in message).Id;
                    requests.Table.Find(id)?.Cancel();
                    return true;
                }
                case ProtocolMethods.StreamCredit:
                {
                    CreditParams credit = protocol.ReadArgs<CreditParams>(in message);
                    requests.Table.Find(credit.Id)?.AddCredit(credit.Credit);
                    return true;
                }
                case ProtocolMethods.StreamItem:
                {
                    RequestId id = protocol.ReadArgs<StreamRefParams>(in message).Id;
                    outbound.Find(id)?.OnStreamItem(in message);
                    return true;
                }
                case ProtocolMethods.Progress:
                {
                    RequestId id = protocol.ReadArgs<StreamRefParams>(in message).Id;
                    if (outbound.Find(id)?.Progress is { } progress)
                    {
                        try { progress.Report(protocol, in message); }
                        catch (ProgressHandlerException e)
                        {
                            log.LogProgressFailed(e.InnerException!, message.Method ?? "");
                        }
                    }
                    return true;
                }
                case ProtocolMethods.InputItem:
                {
                    RequestId id = protocol.ReadArgs<StreamRefParams>(in message).Id;
                    requests.Table.Find(id)?.Input?.OnItem(in message);
                    return true;
                }
                case ProtocolMethods.InputEnd:
                {
                    InputEndParams end = protocol.ReadArgs<InputEndParams>(in message);
                    requests.Table.Find(end.Id)?.Input?.OnEnd(end.ErrorMessage is null
                        ? null
                        : new SidecarRemoteException(end.ErrorCode, end.ErrorMessage));
                    return true;
                }
                case ProtocolMethods.InputCredit:
                {
                    CreditParams credit = protocol.ReadArgs<CreditParams>(in message);
                    outbound.Find(credit.Id)?.Input?.AddCredit(credit.Credit);
                    return true;
                }
                default:
                    return false;
            }
        }
        catch (Exception e) when (e is WireFormatException or FormatException or InvalidOperationException or OverflowException)
        {
            // Unreadable params of a control message: answered like any request with bad params (a notification is logged).
            requests.Reject(in message, RpcErrorCodes.InvalidParams, $"Invalid params for '{message.Method}': {e.Message}");
            return true;
        }
    }
}
