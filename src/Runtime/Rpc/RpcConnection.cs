using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SidecarKit.Wire;

namespace SidecarKit.Rpc;

/// <summary>
/// The call engine over one connection, for any message-based protocol: correlation, concurrent calls in both
/// directions, notifications, cancellation, timeouts, streamed results with credit, and errors.
/// </summary>
/// <remarks>
/// One read loop parses messages with the <see cref="RpcProtocol"/> and routes them: answers to this side's calls
/// (<see cref="OutboundCalls"/>), requests from the other side, run on the thread pool under the common admission rules
/// (<see cref="InboundCallTable"/>). Messages leave through <see cref="ConnectionWriter"/>, on the sender's own thread.
/// </remarks>
public sealed class RpcConnection : RpcChannel, IAsyncDisposable
{
    private readonly IDuplexPipe _transport;
    private readonly ConnectionWriter _writer;
    private readonly OutboundCalls _outbound = new();
    private readonly InboundCallTable _inbound;
    private int _pendingReplies; // answers owed to the other side: requests running or answered but not yet written
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _readLoop;
    private ITimer? _timeoutSweep;
    private readonly TaskCompletionSource _admittedTask = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string? _closeBySelfReason;
    private volatile bool _closing;
    private int _disposed;

    /// <summary>Creates a connection. Call <see cref="Start"/> to begin reading.</summary>
    /// <param name="transport">The byte streams to the other side.</param>
    /// <param name="protocol">The envelope and format; one instance per connection.</param>
    /// <param name="handlers">The methods this side serves, or <see langword="null"/> for none.</param>
    /// <param name="options">Settings, or <see langword="null"/> for the defaults.</param>
    /// <param name="logger">Where the connection logs, or <see langword="null"/>.</param>
    public RpcConnection(IDuplexPipe transport, RpcProtocol protocol, RpcHandlerTable? handlers = null, RpcConnectionOptions? options = null, ILogger? logger = null)
    {
        _transport = transport ?? throw new ArgumentNullException(nameof(transport));
        Protocol = protocol ?? throw new ArgumentNullException(nameof(protocol));
        Handlers = handlers ?? new RpcHandlerTable();
        Options = options ?? new RpcConnectionOptions();
        Log = logger ?? NullLogger.Instance;
        _inbound = new InboundCallTable(Options.MaxConcurrentRequests);
        _writer = new ConnectionWriter(transport.Output, protocol, InBurst, ClosedException, Log);
    }

    /// <summary>The protocol of this connection.</summary>
    public RpcProtocol Protocol { get; }

    /// <summary>The methods this side serves.</summary>
    public RpcHandlerTable Handlers { get; }

    /// <summary>The settings.</summary>
    public RpcConnectionOptions Options { get; }

    internal ILogger Log { get; }

    /// <summary>Completes when the other side closed its end (or reading failed) and every waiting call was failed.</summary>
    public Task Completion => _completion.Task;

    /// <summary>
    /// Decides the exception that calls still waiting get when the other side goes away. The argument is the read
    /// error, or <see langword="null"/> at a clean end of input. A process supervisor uses it to report the exit code
    /// and stderr tail.
    /// </summary>
    public Func<Exception?, ValueTask<Exception>>? ConnectionLost { get; set; }

    /// <summary>
    /// Whether requests from the other side still running are cancelled when its input ends. Default
    /// <see langword="true"/>: the peer is gone. A sidecar host sets it to <see langword="false"/> because a parent
    /// that closes the sidecar's stdin still reads its stdout ("no more requests"), so running requests may finish.
    /// </summary>
    public bool CancelRequestsOnInputClosed { get; set; } = true;

    /// <summary>The number of calls this side is waiting on.</summary>
    public int PendingCallCount => _outbound.Count;

    /// <summary>The number of requests from the other side running now.</summary>
    public int ActiveRequestCount => _inbound.Count;

    /// <summary>
    /// Set before <see cref="Start"/> by a host that admits connections (a sidecar's socket): it judges the first
    /// message, and nothing else is read, run or answered before it admits the connection; a refusal closes it (with
    /// the reason logged).
    /// </summary>
    internal IConnectionAdmission? Admission { get; set; }

    /// <summary>Runs on the read loop once the connection is admitted (at once when there is no <see cref="Admission"/>).</summary>
    internal Action? Admitted { get; set; }

    /// <summary>Completes once the connection is admitted (see <see cref="Admission"/>).</summary>
    internal Task AdmittedTask => _admittedTask.Task;

    /// <summary>What ended reading, when it was not a clean end of input (unreadable bytes, a broken transport).</summary>
    internal Exception? ReadError { get; private set; }

    /// <summary>Why this side stopped reading on its own (a refused <c>$/hello</c>, a stalled peer), if it did.</summary>
    internal string? ClosedBySelfReason => Volatile.Read(ref _closeBySelfReason);

    /// <summary>Sends <c>$/hello</c> with <paramref name="token"/>: the first message on a connection to a sidecar's socket.</summary>
    internal void SendHello(string token) => Notify(ProtocolMethods.Hello, new HelloParams(token));

    /// <summary>Starts the read and write loops.</summary>
    public void Start()
    {
        if (_readLoop is not null) throw new InvalidOperationException("The connection is already started.");
        if (Admission is null) OnAdmitted();
        // Its own thread: over blocking streams (stdio, see StreamDuplexPipe) every read completes synchronously and
        // the loop never hops between threads; over truly asynchronous streams it moves to the pool after the first await.
        _readLoop = Task.Factory.StartNew(ReadLoopAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        _timeoutSweep = TimeProvider.System.CreateTimer(static s => ((RpcConnection)s!).SweepTimeouts(), this, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(50));
    }

    // ---------------------------------------------------------------- calls this side makes

    /// <inheritdoc />
    public override Task<TResult> InvokeAsync<TArgs, TResult, TCodec>(MethodDescriptor method, TArgs args, RpcCallOptions options, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
            return Task.FromCanceled<TResult>(cancellationToken);
        var call = new PendingUnaryCall<TResult, TCodec>(this, method);
        _outbound.Register(call, options);
        call.RegisterCancellation(cancellationToken);
        ValueTask send;
        try
        {
            send = SendAsync(new RequestMessage<TArgs>(RequestId.FromNumber(call.Id), method.WireName, args));
        }
        catch (Exception e)
        {
            FailSend(call, e);
            return call.Task;
        }
        if (!send.IsCompletedSuccessfully)
            _ = ObserveSendAsync(call, send);
        return call.Task;
    }

    /// <inheritdoc />
    public override IAsyncEnumerable<TItem> InvokeStreamAsync<TArgs, TItem, TCodec>(MethodDescriptor method, TArgs args, RpcCallOptions options, CancellationToken cancellationToken)
        => new PendingStreamCall<TArgs, TItem, TCodec>(this, method, args, options, cancellationToken);

    /// <inheritdoc />
    public override TimeSpan DefaultCallTimeout => Options.DefaultCallTimeout;

    /// <inheritdoc />
    public override void Notify<TArgs>(MethodDescriptor method, TArgs args) => Notify(method.WireName, args);

    /// <summary>Sends a notification by wire name (for protocol-level messages such as <c>lifecycle.ready</c>).</summary>
    public void Notify<TArgs>(string method, TArgs args) where TArgs : struct, IWireArgs<TArgs>
        => SendAndForget(new RequestMessage<TArgs>(RequestId.None, method, args), method);

    // For messages nobody waits on (notifications, error replies): a failure to send is logged, not thrown.
    private void SendAndForget<TMessage>(TMessage message, string what) where TMessage : struct, IOutgoingMessage
    {
        try
        {
            ValueTask send = SendAsync(message);
            if (!send.IsCompletedSuccessfully)
                _ = LogIfSendFailsAsync(send, what);
        }
        catch (Exception e)
        {
            Log.LogSendFailed(e, what);
        }
    }

    private async Task LogIfSendFailsAsync(ValueTask send, string what)
    {
        try { await send.ConfigureAwait(false); }
        catch (Exception e) { Log.LogSendFailed(e, what); }
    }

    internal async ValueTask StartStreamAsync<TArgs, TItem, TCodec>(PendingStreamCall<TArgs, TItem, TCodec> call, TArgs args, CancellationToken token)
        where TArgs : struct, IWireArgs<TArgs>
        where TCodec : IWireCodec<TItem>
    {
        token.ThrowIfCancellationRequested();
        _outbound.Register(call, call.Options);
        call.RegisterCancellation(token);
        try
        {
            await SendAsync(new RequestMessage<TArgs>(RequestId.FromNumber(call.Id), call.Method.WireName, args)).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            FailSend(call, e);
        }
    }

    private void FailSend(PendingCall call, Exception e)
    {
        // A broken output usually means the other side just died: leave the call waiting, so that it fails the way
        // the calls in flight do once the input ends (with the exit code and stderr tail), or at its timeout.
        if (e is OutputClosedException && _outbound.CloseReason is null) return;
        if (TryRemovePending(call.Id))
            call.Fail(e is SidecarException or WireFormatException or OperationCanceledException
                ? e
                : new SidecarException($"The call to '{call.Method.WireName}' could not be sent: {e.Message}", e));
    }

    private async Task ObserveSendAsync(PendingCall call, ValueTask send)
    {
        try { await send.ConfigureAwait(false); }
        catch (Exception e) { FailSend(call, e); }
    }

    internal bool TryRemovePending(long id) => _outbound.TryRemove(id);

    internal void SendCancel(long id) => Notify(ProtocolMethods.CancelRequest, new CancelParams(RequestId.FromNumber(id)));

    internal void SendCredit(long id, int credit) => Notify(ProtocolMethods.StreamCredit, new CreditParams(RequestId.FromNumber(id), credit));

    private void SweepTimeouts()
    {
        List<PendingCall>? expired = _outbound.TakeExpired(Environment.TickCount64);
        if (expired is null) return;
        foreach (PendingCall call in expired)
        {
            call.Fail(new SidecarTimeoutException(call.Method.WireName, call.Timeout));
            SendCancel(call.Id);
        }
    }

    // Calls made after the other side went away fail the way the calls in flight did (a crash stays a crash).
    private Exception ClosedException() => _outbound.CloseReason ?? new OutputClosedException("The connection is closed.");

    /// <summary>Writing failed because the output is closed or broken; the reason may not be known yet.</summary>

    // ---------------------------------------------------------------- writing

    internal ValueTask SendAsync<TMessage>(TMessage message) where TMessage : struct, IOutgoingMessage => _writer.SendAsync(message);

    // Racy reads on purpose: a wrong guess costs one system call or one hand-off, never a lost message.
    private bool InBurst() => _outbound.SeveralWaiting || Volatile.Read(ref _pendingReplies) > 1;

    // ---------------------------------------------------------------- reading

    private async Task ReadLoopAsync()
    {
        PipeReader input = _transport.Input;
        Exception? error = null;
        try
        {
            while (true)
            {
                if (RepliesBacklogged() && !await WaitForOutputAsync().ConfigureAwait(false))
                    break;
                ReadResult result = await input.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled) break;
                bool backlogged = false;
                ReadOnlySequence<byte> buffer = result.Buffer;
                try
                {
                    // A read can hold thousands of small requests: stop between two of them once answers pile up.
                    while (_closeBySelfReason is null && !(backlogged = RepliesBacklogged())
                        && Protocol.TryReadMessage(ref buffer, result.IsCompleted, out RpcMessage message))
                    {
                        try { Process(in message); }
                        finally { Protocol.Release(in message); }
                    }
                }
                finally
                {
                    // When stopped early, what is left is not "examined": the next read returns it at once.
                    if (backlogged) input.AdvanceTo(buffer.Start);
                    else input.AdvanceTo(buffer.Start, buffer.End);
                }
                if ((result.IsCompleted && !backlogged) || _closeBySelfReason is not null) break;
            }
        }
        catch (Exception e)
        {
            error = e;
            ReadError = e;
            // A read cut by this side closing the stream (the host drops a connection) is the close, not a failure.
            if (!_closing) Log.LogReadLoopFailed(e);
        }
        finally
        {
            await input.CompleteAsync().ConfigureAwait(false);
            await OnInputClosedAsync(error).ConfigureAwait(false);
        }
    }

    // Many answers are owed to the other side while a write is in progress (perhaps stuck because it does not read).
    // Reading more of its requests would only owe more, so stop reading (the transport's buffers then push back on the
    // sender) until the write completes. Only answers count: reading responses to this side's own calls never creates
    // output, so a client that only calls never stops reading, and two peers cannot wait on each other that way.
    private bool RepliesBacklogged()
        => Volatile.Read(ref _pendingReplies) >= Options.MaxPendingReplies && _writer.IsWriting;

    // The gate is fair: acquiring it means every writer queued before has written. A peer that reads nothing for
    // StalledOutputTimeout is given up on, which also ends two peers that each serve the other and wait for it to read.
    private async ValueTask<bool> WaitForOutputAsync()
    {
        if (await _writer.WaitForWritesAsync(Options.StalledOutputTimeout).ConfigureAwait(false))
            return true;
        CloseBySelf($"the other side has read nothing for {Options.StalledOutputTimeout.TotalSeconds:0.#} s while {Volatile.Read(ref _pendingReplies)} answers are owed to it");
        return false;
    }

    /// <summary>
    /// Says that the owner is about to close the stream under the connection (before disposing it): the read that this
    /// ends is not logged as a failure.
    /// </summary>
    internal void MarkClosing() => _closing = true;

    private void CloseBySelf(string reason)
    {
        if (Interlocked.CompareExchange(ref _closeBySelfReason, reason, null) is null)
            Log.LogClosingConnection(reason);
    }

    // Nothing is read, run or answered before the admission (the host's) has accepted the first message.
    private void Admit(in RpcMessage message)
    {
        if (Admission!.Check(Protocol, in message) is { } refusal) CloseBySelf(refusal);
        else OnAdmitted();
    }

    private void OnAdmitted()
    {
        Admitted?.Invoke();
        _admittedTask.TrySetResult();
    }

    private void Process(in RpcMessage message)
    {
        if (!_admittedTask.Task.IsCompleted)
        {
            Admit(in message);
            return;
        }
        switch (message.Kind)
        {
            case RpcMessageKind.Request:
            case RpcMessageKind.Notification:
                string method = message.Method!;
                if (method.StartsWith("$/", StringComparison.Ordinal) && TryProcessProtocolMessage(in message))
                    return;
                if (message.Kind == RpcMessageKind.Request && _inbound.IsRunning(message.Id))
                {
                    // Answered with id null: the request already running with this id still gets its own, single answer.
                    SendError(RequestId.Null, RpcErrorCodes.InvalidRequest, $"A request with id {message.Id} is already running.");
                    return;
                }
                if (Handlers.TryGetHandler(method, out RpcMethodHandler? handler))
                {
                    if (message.Kind == RpcMessageKind.Request && _inbound.Rules.RefusesNew(method))
                        RejectRequest(in message, RpcErrorCodes.ShuttingDown, ShuttingDownMessage);
                    else
                        handler.ConnectionDispatch.Dispatch(this, in message);
                }
                else if (message.Kind == RpcMessageKind.Request)
                    RejectRequest(in message, RpcErrorCodes.MethodNotFound, $"Method not found: '{method}'.");
                else
                    Log.LogUnknownNotification(method);
                return;

            case RpcMessageKind.Result:
            case RpcMessageKind.Error:
                PendingCall? call = _outbound.Take(message.Id);
                if (call is not null)
                    call.OnResponse(in message);
                else if (message.Kind == RpcMessageKind.Error)
                    Log.LogUnmatchedError(message.Id.ToString(), message.ErrorCode, message.ErrorMessage);
                else
                    Log.LogUnmatchedResponse(message.Id.ToString());
                return;

            default:
                // The protocol gives an id (possibly null) to messages that deserve an answer; an invalid response
                // has none, because answering it could start an endless exchange of errors between two peers.
                Log.LogInvalidMessage(message.ErrorCode, message.ErrorMessage ?? "");
                if (message.Id.IsPresent) SendError(message.Id, message.ErrorCode, message.ErrorMessage ?? "Invalid message.");
                return;
        }
    }

    private bool TryProcessProtocolMessage(in RpcMessage message)
    {
        try
        {
            switch (message.Method)
            {
                case ProtocolMethods.CancelRequest:
                {
                    RequestId id = Protocol.ReadArgs<CancelParams>(in message).Id;
                    _inbound.Find(id)?.Cancel();
                    return true;
                }
                case ProtocolMethods.StreamCredit:
                {
                    CreditParams credit = Protocol.ReadArgs<CreditParams>(in message);
                    _inbound.Find(credit.Id)?.AddCredit(credit.Credit);
                    return true;
                }
                case ProtocolMethods.StreamItem:
                {
                    RequestId id = Protocol.ReadArgs<StreamRefParams>(in message).Id;
                    _outbound.Find(id)?.OnStreamItem(in message);
                    return true;
                }
                default:
                    return false;
            }
        }
        catch (Exception e) when (e is WireFormatException or FormatException or InvalidOperationException or OverflowException)
        {
            RejectRequest(in message, RpcErrorCodes.InvalidParams, $"Invalid params for '{message.Method}': {e.Message}");
            return true;
        }
    }


    private const string ShuttingDownMessage = "The sidecar is shutting down and accepts no new requests.";

    internal void RejectRequest(in RpcMessage message, int code, string reason)
    {
        if (message.Id.IsPresent)
            SendError(message.Id, code, reason);
        else
            Log.LogInvalidMessage(code, reason);
    }

    // An answer nobody waits on here, counted as owed until written so that a flood of bad requests is pushed back too.
    private void SendError(RequestId id, int code, string reason)
    {
        Interlocked.Increment(ref _pendingReplies);
        try
        {
            ValueTask send = SendAsync(new ErrorMessage(id, code, reason, null));
            if (send.IsCompletedSuccessfully) Interlocked.Decrement(ref _pendingReplies);
            else _ = AwaitErrorSentAsync(send);
        }
        catch (Exception e)
        {
            Interlocked.Decrement(ref _pendingReplies);
            Log.LogSendFailed(e, "error response");
        }
    }

    private async Task AwaitErrorSentAsync(ValueTask send)
    {
        try { await send.ConfigureAwait(false); }
        catch (Exception e) { Log.LogSendFailed(e, "error response"); }
        finally { Interlocked.Decrement(ref _pendingReplies); }
    }

    internal void Run(InboundCall call)
    {
        if (call.Id.IsPresent)
        {
            InboundCallTable.Admission admission = _inbound.TryAdd(call);
            if (admission == InboundCallTable.Admission.Busy)
            {
                SendError(call.Id, RpcErrorCodes.ServerBusy, $"Too many concurrent requests (limit {Options.MaxConcurrentRequests}).");
                return;
            }
            if (admission == InboundCallTable.Admission.Draining)
            {
                SendError(call.Id, RpcErrorCodes.ShuttingDown, ShuttingDownMessage);
                return;
            }
            if (admission == InboundCallTable.Admission.Duplicate)
            {
                // Answered with id null: the request already running with this id still gets its own, single answer.
                SendError(RequestId.Null, RpcErrorCodes.InvalidRequest, $"A request with id {call.Id} is already running.");
                return;
            }
        }
        if (call.Id.IsPresent)
        {
            Interlocked.Increment(ref _pendingReplies); // owed until CompleteInbound
            ThreadPool.UnsafeQueueUserWorkItem(call, preferLocal: false);
        }
        else
            call.Execute(); // notifications run in arrival order (their handlers should be quick): progress must not arrive shuffled
    }

    // Frees the id for reuse while the answer is still being sent; the request counts as running (for limits and the
    // drain) until CompleteInbound.
    internal void ReleaseInboundId(InboundCall call)
    {
        if (!call.Id.IsPresent || call.IdReleased) return;
        _inbound.ReleaseId(call);
    }

    internal void CompleteInbound(InboundCall call)
    {
        if (!call.Id.IsPresent) return;
        Interlocked.Decrement(ref _pendingReplies);
        _inbound.Complete(call);
    }

    private async Task OnInputClosedAsync(Exception? error)
    {
        if (CancelRequestsOnInputClosed) CancelInboundRequests();

        Exception failure;
        try
        {
            failure = ConnectionLost is { } translate
                ? await translate(error).ConfigureAwait(false)
                : new SidecarException("The connection was closed by the other side.", error);
        }
        catch (Exception e)
        {
            failure = new SidecarException("The connection was closed by the other side.", e);
        }
        _outbound.FailAll(failure);
        _completion.TrySetResult();
    }

    // ---------------------------------------------------------------- shutdown

    /// <summary>
    /// Stops accepting new requests (they get -32004) and waits until the requests already running have finished, or
    /// until <paramref name="cancellationToken"/> fires.
    /// </summary>
    public Task DrainAsync(CancellationToken cancellationToken = default) => _inbound.Rules.DrainAsync(cancellationToken);

    /// <summary>Refuses new requests from now on (they get -32004), without waiting for those running.</summary>
    public void StopAcceptingRequests() => _inbound.Rules.StopAccepting();

    /// <summary>Cancels every request from the other side that is still running.</summary>
    public void CancelInboundRequests()
    {
        foreach (InboundCall call in _inbound.Snapshot()) call.Cancel();
    }

    /// <summary>Writes out everything queued so far and closes the outgoing direction.</summary>
    public Task CompleteOutputAsync() => _writer.CompleteAsync();

    /// <summary>Closes the connection: flushes what is queued, stops reading, and fails calls still waiting.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _timeoutSweep?.Dispose();
        CancelInboundRequests();
        try { await CompleteOutputAsync().ConfigureAwait(false); }
        catch (Exception e) { Log.LogOutputFailed(e); }
        _transport.Input.CancelPendingRead();
        if (_readLoop is not null)
        {
            // Some streams (a console's stdin) ignore cancellation: a read blocked in one ends only when the other
            // side closes it. Everything this side wanted to say has been flushed by now, so do not wait on it forever.
            try { await _readLoop.WaitAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false); }
            catch (TimeoutException) { }
            catch (Exception e) { Log.LogReadLoopFailed(e); }
        }
        _outbound.FailAll(new ObjectDisposedException(nameof(RpcConnection), "The connection was closed by this side."));
    }
}
