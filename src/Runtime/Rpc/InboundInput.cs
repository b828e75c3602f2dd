using System.Threading.Channels;
using SidecarKit.Wire;

namespace SidecarKit.Rpc;

/// <summary>
/// The streamed parameter of a request running here, as its implementation reads it: fed by the read loop with the
/// caller's <c>$/input.item</c> messages until <c>$/input.end</c>, and paced by the credit this side grants back as the
/// implementation reads (<c>$/input.credit</c>), so at most <see cref="ProtocolMethods.InputWindow"/> items wait here.
/// A caller that sends beyond its credit fails the request: the bound on memory is not left to its good manners.
/// </summary>
internal abstract class InboundInput
{
    /// <summary>An item arrived (on the read loop).</summary>
    public abstract void OnItem(in RpcMessage message);

    /// <summary>The caller's stream ended, cleanly or (with <paramref name="error"/>) not.</summary>
    public abstract void OnEnd(Exception? error);
}

internal sealed class InboundInput<TItem, TCodec> : InboundInput, IAsyncEnumerable<TItem>
    where TCodec : IWireCodec<TItem>
{
    private readonly RpcConnection connection;
    private readonly RequestId id;
    private readonly string method;
    private readonly Action<Exception> failCall;

    /// <param name="connection">The connection the items arrive on and the credit goes out on.</param>
    /// <param name="id">The request's id.</param>
    /// <param name="method">The method's wire name, for errors.</param>
    /// <param name="failCall">Ends the call when the caller breaks the input's rules.</param>
    /// <param name="callToken">The call's own token: its cancellation (the caller's, the sidecar's stop, the connection's
    /// end) ends the input too, so an implementation that reads it without a token of its own is not left waiting.</param>
    public InboundInput(RpcConnection connection, RequestId id, string method, Action<Exception> failCall, CancellationToken callToken)
    {
        this.connection = connection;
        this.id = id;
        this.method = method;
        this.failCall = failCall;
        callToken.UnsafeRegister(static (state, token) =>
        {
            var input = (InboundInput<TItem, TCodec>)state!;
            input._items.Writer.TryComplete(input._failure ?? new OperationCanceledException(token));
        }, this);
    }

    private readonly Channel<TItem> _items = Channel.CreateUnbounded<TItem>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private long _allowed = ProtocolMethods.InputWindow; // items the caller may have sent so far: the window plus the credit granted
    private long _received;
    private int _started;
    private volatile bool _failed;
    private volatile Exception? _failure;   // why the caller's input failed the call, once it did

    public override void OnItem(in RpcMessage message)
    {
        TItem item;
        try
        {
            item = connection.Protocol.ReadArgs<StreamItemParams<TItem, TCodec>>(in message).Item;
        }
        catch (Exception e) when (e is WireFormatException or FormatException or OverflowException or InvalidOperationException)
        {
            Fail(new SidecarProtocolException($"An item of the input stream of '{method}' could not be read: {e.Message}", e));
            return;
        }
        if (++_received > Volatile.Read(ref _allowed))
        {
            Fail(new SidecarProtocolException(
                $"The caller sent more items of the input stream of '{method}' than it had credit for ({Volatile.Read(ref _allowed)}): see $/input.credit."));
            return;
        }
        _items.Writer.TryWrite(item);
    }

    public override void OnEnd(Exception? error) => _items.Writer.TryComplete(error);

    // The implementation sees the failure where it reads; the call ends with it whether it reads or not. The call's
    // answer is decided (failCall) before the input ends: an implementation that sees the end at once and throws must
    // not answer first with its own error (-32603 for the caller's -32600). The cancellation failCall makes ends the
    // input with the same failure.
    private void Fail(Exception error)
    {
        _failed = true; // no more credit granted for a call that is over
        _failure = error;
        failCall(error);
        _items.Writer.TryComplete(error);
    }

    public async IAsyncEnumerator<TItem> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
            throw new InvalidOperationException($"The input stream of '{method}' can be enumerated once.");
        int batch = ProtocolMethods.InputWindow / 2;
        int consumed = 0;
        ChannelReader<TItem> reader = _items.Reader;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (reader.TryRead(out TItem? item))
            {
                if (++consumed >= batch && !_failed)
                {
                    Interlocked.Add(ref _allowed, consumed);
                    connection.SendInputCredit(id, consumed);
                    consumed = 0;
                }
                yield return item;
            }
        }
    }
}
