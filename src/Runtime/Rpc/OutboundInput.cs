using SidecarKit.Wire;

namespace SidecarKit.Rpc;

/// <summary>
/// The streamed parameter of a call this side made, being sent: its items go out as <c>$/input.item</c> within the
/// callee's credit (<see cref="ProtocolMethods.InputWindow"/> at first, then what <c>$/input.credit</c> grants), and
/// <c>$/input.end</c> closes it. Sending stops when the call ends, however it ends (answered, failed, cancelled), so a
/// callee that returns before reading everything stops the caller's producer too.
/// </summary>
internal abstract class OutboundInput
{
    /// <summary>The callee granted <paramref name="credit"/> more items (on the read loop).</summary>
    public abstract void AddCredit(int credit);

    /// <summary>Starts sending, once the request is on its way.</summary>
    public abstract void Start(PendingCall call);

    /// <summary>The call ended: nothing more is sent.</summary>
    public abstract void Stop();

    /// <summary>Makes the sender of an <see cref="RpcInput"/> (claimed for this one send).</summary>
    public static OutboundInput For(RpcInput input, MethodDescriptor method)
    {
        input.Claim(method);
        return input.Accept(Factory.Instance);
    }

    private sealed class Factory : IRpcInputVisitor<OutboundInput>
    {
        public static readonly Factory Instance = new();

        public OutboundInput Visit<TItem, TCodec>(RpcInput<TItem, TCodec> input) where TCodec : IWireCodec<TItem>
            => new OutboundInput<TItem, TCodec>(input);
    }
}

internal sealed class OutboundInput<TItem, TCodec>(RpcInput<TItem, TCodec> input) : OutboundInput
    where TCodec : IWireCodec<TItem>
{
    private readonly SemaphoreSlim _credit = new(ProtocolMethods.InputWindow, int.MaxValue);
    private readonly CancellationTokenSource _stop = new();

    public override void AddCredit(int credit)
    {
        try
        {
            // Clamp so that an absurd grant means "never blocked" instead of overflowing.
            int room = int.MaxValue - _credit.CurrentCount;
            if (room > 0) _credit.Release(Math.Min(credit, room));
        }
        catch (Exception e) when (e is SemaphoreFullException or ObjectDisposedException) { }
    }

    public override void Start(PendingCall call) => _ = SendAllAsync(call);

    // Called on the read loop (the answer arrived): the producer's cancellation callbacks and its finally run elsewhere,
    // so neither a slow one nor a throwing one holds up or ends the connection's reading.
    public override void Stop() => _ = _stop.CancelAsync();

    private async Task SendAllAsync(PendingCall call)
    {
        RpcConnection connection = call.Connection;
        RequestId id = RequestId.FromNumber(call.Id);
        CancellationToken stop = _stop.Token;
        bool sending = false;
        try
        {
            stop.ThrowIfCancellationRequested(); // the call failed before it was sent (a closed connection)
            await foreach (TItem item in input.Items.WithCancellation(stop).ConfigureAwait(false))
            {
                if (!_credit.Wait(0))
                {
                    Diagnostics.SidecarTelemetry.CreditStalls.Add(1, new KeyValuePair<string, object?>("rpc.method", call.Method.WireName));
                    await _credit.WaitAsync(stop).ConfigureAwait(false);
                }
                sending = true;
                await connection.SendAsync(new RequestMessage<StreamItemParams<TItem, TCodec>>(
                    RequestId.None, ProtocolMethods.InputItem, new StreamItemParams<TItem, TCodec>(id, item)), streamItem: true).ConfigureAwait(false);
                sending = false;
            }
            sending = true;
            await connection.SendAsync(new RequestMessage<InputEndParams>(RequestId.None, ProtocolMethods.InputEnd, new InputEndParams(id, 0, null))).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The call ended: nothing more to send.
        }
        catch (Exception e) when (sending && e is OutputClosedException or IOException or ObjectDisposedException)
        {
            connection.FailSend(call, e); // the connection broke: the call fails the way the calls in flight do
        }
        catch (Exception e)
        {
            // The caller's own stream failed (or one of its items cannot be written): the callee is told why its input
            // ended (its enumeration throws that error, typed), and the call fails here with the caller's own exception;
            // the callee's answer, whatever it is, is not waited for.
            if (connection.TryRemovePending(call.Id))
            {
                RpcError error = RpcError.FromException(e, cancelled: false);
                try
                {
                    await connection.SendAsync(new RequestMessage<InputEndParams>(RequestId.None, ProtocolMethods.InputEnd,
                        new InputEndParams(id, error.Code, error.Message))).ConfigureAwait(false);
                }
                catch (Exception) { } // the call fails with the caller's exception anyway
                // A bidirectional callee may still be producing, and would wait for result credit nobody grants now.
                if (call.Method.Kind == MethodKind.DuplexStream) connection.SendCancel(call.Id);
                call.Fail(e);
            }
        }
        finally
        {
            _credit.Dispose(); // _stop is not disposed: a late Stop may still cancel it (it holds no timer)
        }
    }
}
