using System.Text.Json;
using SidecarKit.Wire;

namespace SidecarKit.Rpc;

/// <summary>
/// A request from the other side that is running here. Queued to the thread pool so a slow or blocking
/// implementation never stalls the connection's read loop (cancellations and other calls keep flowing).
/// </summary>
internal abstract class InboundCall : IThreadPoolWorkItem, IProgressChannel
{
    private readonly CancellationTokenSource _cts = new();

    protected InboundCall(RpcConnection connection, RequestId id, string method)
    {
        Connection = connection;
        Id = id;
        Method = method;
    }

    public RpcConnection Connection { get; }
    public RequestId Id { get; }
    public string Method { get; }
    /// <summary>Set under the connection's lock once the id is free again (the answer is being sent).</summary>
    public bool IdReleased { get; set; }
    protected CancellationToken Token => _cts.Token;

    public void Cancel()
    {
        try { _cts.Cancel(); }
        catch (ObjectDisposedException) { }
    }

    public virtual void AddCredit(int credit) { }

    /// <summary>The streamed parameter the caller feeds, for a method that takes one; <see langword="null"/> otherwise.</summary>
    public InboundInput? Input { get; private set; }

    private RpcError? _abort;

    /// <summary>
    /// The streamed parameter of this call (a method that takes one), made its <see cref="Input"/>: a caller that breaks
    /// the input's rules aborts the call with -32600, and the call's cancellation ends the input.
    /// </summary>
    private protected InboundInput<TItem, TCodec> OpenInput<TItem, TCodec>() where TCodec : IWireCodec<TItem>
    {
        var input = new InboundInput<TItem, TCodec>(Connection, Id, Method, e => Abort(new RpcError(RpcErrorCodes.InvalidRequest, e.Message, null)), Token);
        Input = input;
        return input;
    }

    /// <summary>Ends the call with <paramref name="error"/> (a caller that broke the input stream's rules): its implementation is cancelled.</summary>
    public void Abort(RpcError error)
    {
        _abort ??= error;
        Cancel();
    }

    /// <summary>Whether the implementation reports progress: then the call is the current <see cref="RpcProgress"/> channel while it runs.</summary>
    public bool ReportsProgress { get; init; }

    /// <summary>The reports waiting to be written at most: beyond them a report is dropped rather than held.</summary>
    internal const int MaxReportsWaiting = 4096;

    private int _reportsWaiting;

    // A report after the answer (or of a notification) has nobody to go to: dropped. A callee that reports faster than
    // the connection writes (a caller slow to read) holds at most MaxReportsWaiting of them: the rest are dropped, so
    // memory stays bounded; reports are progress, the answer is what must arrive.
    void IProgressChannel.Report<T, TCodec>(T value)
    {
        if (!Id.IsPresent || IdReleased || Volatile.Read(ref _reportsWaiting) >= MaxReportsWaiting) return;
        try
        {
            ValueTask send = Connection.SendAsync(new RequestMessage<StreamItemParams<T, TCodec>>(RequestId.None, ProtocolMethods.Progress,
                new StreamItemParams<T, TCodec>(Id, value)));
            if (!send.IsCompletedSuccessfully)
            {
                Interlocked.Increment(ref _reportsWaiting);
                _ = ReportSentAsync(send);
            }
        }
        catch (Exception e)
        {
            Connection.Log.LogSendFailed(e, ProtocolMethods.Progress);
        }
    }

    private async Task ReportSentAsync(ValueTask send)
    {
        try { await send.ConfigureAwait(false); }
        catch (Exception e) { Connection.Log.LogSendFailed(e, ProtocolMethods.Progress); }
        finally { Interlocked.Decrement(ref _reportsWaiting); }
    }

    /// <summary>The trace context the request carried, read only while telemetry listens.</summary>
    public Diagnostics.RpcTraceContext Trace { get; init; }

    public void Execute() => _ = RunAsync();

    protected abstract Task RunCoreAsync();

    private async Task RunAsync()
    {
        // A served call's parent is what came with it, not whatever was current where the connection's read loop began
        // (a sidecar's start span): without a context it is a trace of its own.
        System.Diagnostics.Activity.Current = null;
        Diagnostics.CallTelemetry? telemetry = Diagnostics.CallTelemetry.StartServer(Method, Connection.Protocol.RpcSystem, Trace);
        if (ReportsProgress) RpcProgress.Enter(this);
        try
        {
            await RunCoreAsync().ConfigureAwait(false);
            telemetry?.Stop(null);
        }
        catch (Exception e)
        {
            telemetry?.Stop(e);
            bool cancelled = _cts.IsCancellationRequested;
            if (_abort is null && RpcError.IsUnexpected(e, cancelled)) Connection.Log.LogHandlerFailed(e, Method);
            RpcError error = _abort ?? RpcError.FromException(e, cancelled);
            await ReplyErrorAsync(error.Code, error.Message, error.Data).ConfigureAwait(false);
        }
        finally
        {
            Connection.Requests.Complete(this);
            _cts.Dispose();
        }
    }

    protected async ValueTask ReplyErrorAsync(int code, string message, RpcErrorData? data)
    {
        if (!Id.IsPresent) return; // a notification has nobody to tell
        try { await ReplyAsync(new ErrorMessage(Id, code, message, data)).ConfigureAwait(false); }
        catch (Exception e) { Connection.Log.LogReplyFailed(e, Method); }
    }

    // The final answer. The id is free again before it leaves: a client that reuses an id as soon as it has the answer
    // must not be told that the request is still running.
    protected ValueTask ReplyAsync<TMessage>(TMessage message) where TMessage : struct, IOutgoingMessage
    {
        Connection.Requests.ReleaseId(this);
        return Connection.SendAsync(message);
    }
}

internal sealed class InboundUnaryCall<TArgs, TResult, TCodec>(
    RpcConnection connection, RequestId id, string method, TArgs args, Func<TArgs, CancellationToken, ValueTask<TResult>> handler)
    : InboundCall(connection, id, method)
    where TArgs : struct, IWireArgs<TArgs>
    where TCodec : IWireCodec<TResult>
{
    protected override async Task RunCoreAsync()
    {
        TResult result = await handler(args, Token).ConfigureAwait(false);
        if (Id.IsPresent)
            await ReplyAsync(new ResultMessage<TResult, TCodec>(Id, result)).ConfigureAwait(false);
    }
}

/// <summary>
/// A request whose result is a stream: its items are sent as <c>$/stream.item</c> within the credit the caller grants
/// (<c>$/stream.credit</c>), then the response carries their count. Shared by streamed results and bidirectional streams.
/// </summary>
internal abstract class InboundStreamingCall<TItem, TCodec>(RpcConnection connection, RequestId id, string method)
    : InboundCall(connection, id, method)
    where TCodec : IWireCodec<TItem>
{
    // The receiver's credit: items we may still send. The receiver grants more with $/stream.credit.
    private readonly SemaphoreSlim _credit = new(connection.Options.StreamWindow, int.MaxValue);

    public override void AddCredit(int credit)
    {
        // Clamp so that an absurd grant (up to int.MaxValue in total) means "never blocked" instead of overflowing.
        int room = int.MaxValue - _credit.CurrentCount;
        if (room <= 0) return;
        try { _credit.Release(Math.Min(credit, room)); }
        catch (Exception e) when (e is SemaphoreFullException or ObjectDisposedException) { }
    }

    /// <summary>The implementation's items.</summary>
    protected abstract IAsyncEnumerable<TItem> Produce(CancellationToken cancellationToken);

    protected override async Task RunCoreAsync()
    {
        int count = 0;
        try
        {
            await foreach (TItem item in Produce(Token).WithCancellation(Token).ConfigureAwait(false))
            {
                if (!_credit.Wait(0))
                {
                    // The receiver has not granted credit for this item yet: a stall, counted, then waited out.
                    Diagnostics.SidecarTelemetry.CreditStalls.Add(1, new KeyValuePair<string, object?>("rpc.method", Method));
                    await _credit.WaitAsync(Token).ConfigureAwait(false);
                }
                await Connection.SendAsync(new RequestMessage<StreamItemParams<TItem, TCodec>>(
                    RequestId.None, ProtocolMethods.StreamItem, new StreamItemParams<TItem, TCodec>(Id, item)), streamItem: true).ConfigureAwait(false);
                count++;
            }
        }
        finally
        {
            _credit.Dispose();
        }
        await ReplyAsync(new ResultMessage<int, WireCodecs.Int32>(Id, count)).ConfigureAwait(false);
    }
}

internal sealed class InboundStreamCall<TArgs, TItem, TCodec>(
    RpcConnection connection, RequestId id, string method, TArgs args, Func<TArgs, CancellationToken, IAsyncEnumerable<TItem>> handler)
    : InboundStreamingCall<TItem, TCodec>(connection, id, method)
    where TArgs : struct, IWireArgs<TArgs>
    where TCodec : IWireCodec<TItem>
{
    protected override IAsyncEnumerable<TItem> Produce(CancellationToken cancellationToken) => handler(args, cancellationToken);
}

/// <summary>A request that takes a stream and returns one: the caller's items come in while this side's go out.</summary>
internal sealed class InboundDuplexCall<TArgs, TInput, TInputCodec, TItem, TCodec> : InboundStreamingCall<TItem, TCodec>
    where TArgs : struct, IWireArgs<TArgs>
    where TInputCodec : IWireCodec<TInput>
    where TCodec : IWireCodec<TItem>
{
    private readonly TArgs _args;
    private readonly Func<TArgs, IAsyncEnumerable<TInput>, CancellationToken, IAsyncEnumerable<TItem>> _handler;
    private readonly InboundInput<TInput, TInputCodec> _input;

    public InboundDuplexCall(RpcConnection connection, RequestId id, string method, TArgs args,
        Func<TArgs, IAsyncEnumerable<TInput>, CancellationToken, IAsyncEnumerable<TItem>> handler)
        : base(connection, id, method)
    {
        _args = args;
        _handler = handler;
        _input = OpenInput<TInput, TInputCodec>();
    }

    protected override IAsyncEnumerable<TItem> Produce(CancellationToken cancellationToken) => _handler(_args, _input, cancellationToken);
}

/// <summary>A request that takes a stream (client streaming) and answers once, like a unary call.</summary>
internal sealed class InboundClientStreamCall<TArgs, TInput, TInputCodec, TResult, TCodec> : InboundCall
    where TArgs : struct, IWireArgs<TArgs>
    where TInputCodec : IWireCodec<TInput>
    where TCodec : IWireCodec<TResult>
{
    private readonly TArgs _args;
    private readonly Func<TArgs, IAsyncEnumerable<TInput>, CancellationToken, ValueTask<TResult>> _handler;
    private readonly InboundInput<TInput, TInputCodec> _input;

    public InboundClientStreamCall(RpcConnection connection, RequestId id, string method, TArgs args,
        Func<TArgs, IAsyncEnumerable<TInput>, CancellationToken, ValueTask<TResult>> handler)
        : base(connection, id, method)
    {
        _args = args;
        _handler = handler;
        _input = OpenInput<TInput, TInputCodec>();
    }

    protected override async Task RunCoreAsync()
    {
        TResult result = await _handler(_args, _input, Token).ConfigureAwait(false);
        await ReplyAsync(new ResultMessage<TResult, TCodec>(Id, result)).ConfigureAwait(false);
    }
}
