using System.Threading.Channels;
using SidecarKit.Wire;

namespace SidecarKit.Rpc;

/// <summary>A call this side made and is waiting on.</summary>
internal abstract class PendingCall
{
    private CancellationTokenRegistration _cancellation;

    protected PendingCall(RpcConnection connection, MethodDescriptor method)
    {
        Connection = connection;
        Method = method;
    }

    public RpcConnection Connection { get; }
    public MethodDescriptor Method { get; }
    public long Id { get; set; }

    /// <summary>When the call times out (<see cref="Environment.TickCount64"/>); <see cref="long.MaxValue"/> for never.</summary>
    public long DeadlineTicks { get; set; } = long.MaxValue;
    public TimeSpan Timeout { get; set; }

    /// <summary>The streamed parameter being sent, for a client-streaming or bidirectional call; <see langword="null"/> otherwise.</summary>
    public OutboundInput? Input { get; set; }

    /// <summary>Where the callee's progress reports go (an <see cref="IProgress{T}"/> parameter); <see langword="null"/> for none.</summary>
    public RpcProgressTarget? Progress { get; set; }

    public void RegisterCancellation(CancellationToken token)
    {
        if (token.CanBeCanceled)
            _cancellation = token.UnsafeRegister(static (state, ct) => ((PendingCall)state!).OnCancelled(ct), this);
    }

    /// <summary>The call is over (answered, failed, cancelled): no more cancellation, and no more input sent.</summary>
    protected void Ended()
    {
        _cancellation.Unregister();
        Input?.Stop();
    }

    private void OnCancelled(CancellationToken token)
    {
        if (Connection.TryRemovePending(Id))
        {
            Fail(new OperationCanceledException($"The call to '{Method.WireName}' was cancelled.", null, token));
            Connection.SendCancel(Id);
        }
    }

    public abstract void OnResponse(in RpcMessage message);
    public virtual void OnStreamItem(in RpcMessage message) { }
    public abstract void Fail(Exception exception);

    protected Exception CreateRemoteException(in RpcMessage message)
    {
        RpcErrorData? data;
        try
        {
            data = Connection.Protocol.ReadErrorData(in message);
        }
        catch (Exception e) when (e is WireFormatException or System.Text.Json.JsonException or FormatException or OverflowException or InvalidOperationException)
        {
            // The code and message were read, the data cannot be (a string that is not UTF-8, say): the caller still
            // gets the error, without its data. Thrown from here it would end the read loop, and the connection.
            data = null;
        }
        return new SidecarRemoteException(message.ErrorCode, message.ErrorMessage ?? "", data) { Method = Method.WireName };
    }
}

internal sealed class PendingUnaryCall<TResult, TCodec>(RpcConnection connection, MethodDescriptor method)
    : PendingCall(connection, method)
    where TCodec : IWireCodec<TResult>
{
    private readonly TaskCompletionSource<TResult> _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<TResult> Task => _tcs.Task;

    public override void OnResponse(in RpcMessage message)
    {
        Ended();
        if (message.Kind == RpcMessageKind.Error)
        {
            _tcs.TrySetException(CreateRemoteException(in message));
            return;
        }
        TResult value;
        try
        {
            value = Connection.Protocol.ReadResult<TResult, TCodec>(in message);
        }
        catch (Exception e)
        {
            _tcs.TrySetException(new SidecarProtocolException($"The result of '{Method.WireName}' could not be read: {e.Message}", e));
            return;
        }
        _tcs.TrySetResult(value);
    }

    public override void Fail(Exception exception)
    {
        Ended();
        _tcs.TrySetException(exception);
    }
}

/// <summary>
/// A streamed result being received. Items are buffered until the consumer reads them; credit is granted back as the
/// consumer reads, so at most one window of items is ever buffered here.
/// </summary>
internal sealed class PendingStreamCall<TArgs, TItem, TCodec> : PendingCall, IAsyncEnumerable<TItem>
    where TArgs : struct, IWireArgs<TArgs>
    where TCodec : IWireCodec<TItem>
{
    private readonly TArgs _args;
    private readonly CancellationToken _callToken;
    private readonly Channel<TItem> _items = Channel.CreateUnbounded<TItem>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private int _started;

    /// <summary>The call's budget, resolved when the stream was asked for.</summary>
    public RpcCallOptions Options { get; }

    public PendingStreamCall(RpcConnection connection, MethodDescriptor method, TArgs args, RpcCallOptions options, CancellationToken callToken)
        : base(connection, method)
    {
        _args = args;
        Options = options;
        _callToken = callToken;
    }

    public async IAsyncEnumerator<TItem> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
            throw new InvalidOperationException($"The stream of '{Method.WireName}' can be enumerated once; call the method again for a new stream.");

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_callToken, cancellationToken);
        await Connection.StartStreamAsync(this, _args, linked.Token).ConfigureAwait(false);
        bool finished = false;
        int window = Connection.Options.StreamWindow;
        int consumed = 0;
        try
        {
            ChannelReader<TItem> reader = _items.Reader;
            while (await reader.WaitToReadAsync(linked.Token).ConfigureAwait(false))
            {
                while (reader.TryRead(out TItem? item))
                {
                    if (++consumed >= Math.Max(1, window / 2))
                    {
                        Connection.SendCredit(Id, consumed);
                        consumed = 0;
                    }
                    yield return item;
                }
            }
            finished = true;
        }
        finally
        {
            if (!finished && Connection.TryRemovePending(Id))
            {
                // The consumer stopped early (break, dispose or cancellation): stop the producer too.
                Connection.SendCancel(Id);
                Ended();
                _items.Writer.TryComplete();
            }
        }
    }

    public override void OnStreamItem(in RpcMessage message)
    {
        StreamItemParams<TItem, TCodec> p;
        try
        {
            p = Connection.Protocol.ReadArgs<StreamItemParams<TItem, TCodec>>(in message);
        }
        catch (Exception e)
        {
            if (Connection.TryRemovePending(Id))
            {
                Connection.SendCancel(Id);
                Fail(new SidecarProtocolException($"An item of the stream '{Method.WireName}' could not be read: {e.Message}", e));
            }
            return;
        }
        _items.Writer.TryWrite(p.Item);
    }

    public override void OnResponse(in RpcMessage message)
    {
        Ended();
        if (message.Kind == RpcMessageKind.Error)
            _items.Writer.TryComplete(CreateRemoteException(in message));
        else
            _items.Writer.TryComplete();
    }

    public override void Fail(Exception exception)
    {
        Ended();
        _items.Writer.TryComplete(exception);
    }
}
