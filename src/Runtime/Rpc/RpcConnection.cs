using System.IO.Pipelines;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SidecarKit.Wire;

namespace SidecarKit.Rpc;

/// <summary>
/// The call engine over one connection, for any message-based protocol: correlation, concurrent calls in both
/// directions, notifications, cancellation, timeouts, streamed results with credit, and errors.
/// </summary>
/// <remarks>
/// This type is the public face and the calls this side makes; it composes one part per concern, the way a Kestrel
/// connection does:
/// <list type="bullet">
/// <item><see cref="ConnectionReader"/>: the read loop, framing with the <see cref="RpcProtocol"/>, and the output
/// backpressure that stops reading while answers pile up;</item>
/// <item><see cref="AdmissionGate"/>: nothing is routed before the host's <see cref="IConnectionAdmission"/> admits
/// the first message;</item>
/// <item><see cref="InboundRouter"/>: each message to its place; <see cref="ControlMessages"/>: the engine's own
/// <c>$/…</c> notifications;</item>
/// <item><see cref="InboundRequests"/>: requests from the other side, admitted, run on the thread pool and answered
/// (<see cref="InboundCallTable"/>); <see cref="OutboundCalls"/>: this side's calls waiting on an answer;</item>
/// <item><see cref="ConnectionWriter"/>: messages leave on the sender's own thread, flushes coalesced.</item>
/// </list>
/// The parts are sealed and call each other directly: the per-message path (reader, router, handler dispatch) has
/// no interface dispatch and allocates nothing beyond the request it starts.
/// </remarks>
public sealed class RpcConnection : RpcChannel, IAsyncDisposable
{
    private readonly IDuplexPipe _transport;
    private readonly ConnectionWriter _writer;
    private readonly ConnectionReader _reader;
    private readonly AdmissionGate _gate = new();
    private readonly OutboundCalls _outbound = new();
    private readonly InboundRequests _inbound;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _readLoop;
    private ITimer? _timeoutSweep;
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
        _writer = new ConnectionWriter(transport.Output, protocol, InBurst, ClosedException, Log);
        _inbound = new InboundRequests(_writer, Options, Log);
        var router = new InboundRouter(this, Handlers, _inbound, new ControlMessages(protocol, _inbound, _outbound, Log), _outbound, Log);
        _reader = new ConnectionReader(transport.Input, protocol, _gate, router, _inbound, _writer, Options, Log);
        Diagnostics.SidecarTelemetry.RepliesOwed.Track(this);
        Diagnostics.SidecarTelemetry.CallsWaiting.Track(this);
    }

    /// <summary>See <see cref="ConnectionReader.InvalidFrame"/>: what is read that is no message, while set.</summary>
    internal Action<System.Buffers.ReadOnlySequence<byte>>? InvalidFrame
    {
        get => _reader.InvalidFrame;
        set => _reader.InvalidFrame = value;
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
    public int ActiveRequestCount => _inbound.Table.Count;

    /// <summary>
    /// Set before <see cref="Start"/> by a host that admits connections (a sidecar's socket): it judges the first
    /// message, and nothing else is read, run or answered before it admits the connection; a refusal closes it (with
    /// the reason logged).
    /// </summary>
    internal IConnectionAdmission? Admission { get => _gate.Admission; set => _gate.Admission = value; }

    /// <summary>Runs on the read loop once the connection is admitted (at once when there is no <see cref="Admission"/>).</summary>
    internal Action? Admitted { get => _gate.Admitted; set => _gate.Admitted = value; }

    /// <summary>Completes once the connection is admitted (see <see cref="Admission"/>).</summary>
    internal Task AdmittedTask => _gate.Opened;

    /// <summary>What ended reading, when it was not a clean end of input (unreadable bytes, a broken transport).</summary>
    internal Exception? ReadError => _reader.Error;

    /// <summary>Why this side stopped reading on its own (a refused <c>$/hello</c>, a stalled peer), if it did.</summary>
    internal string? ClosedBySelfReason => _reader.StopReason;

    /// <summary>The requests from the other side: the handlers' dispatch and the running calls report here.</summary>
    internal InboundRequests Requests => _inbound;

    /// <summary>Sends <c>$/hello</c> with <paramref name="token"/>: the first message on a connection to a sidecar's socket.</summary>
    internal void SendHello(string token) => Notify(ProtocolMethods.Hello, new HelloParams(token));

    /// <summary>Starts the read and write loops.</summary>
    public void Start()
    {
        if (_readLoop is not null) throw new InvalidOperationException("The connection is already started.");
        _gate.OpenIfUnguarded();
        // Its own thread: over blocking streams (stdio, see StreamDuplexPipe) every read completes synchronously and
        // the loop never hops between threads; over truly asynchronous streams it moves to the pool after the first await.
        _readLoop = Task.Factory.StartNew(ReadThenCloseAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        _timeoutSweep = TimeProvider.System.CreateTimer(static s => ((RpcConnection)s!).SweepTimeouts(), this, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(50));
    }

    // ---------------------------------------------------------------- calls this side makes

    /// <inheritdoc />
    public override Task<TResult> InvokeAsync<TArgs, TResult, TCodec>(MethodDescriptor method, TArgs args, RpcCallOptions options, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
            return Task.FromCanceled<TResult>(cancellationToken);
        var call = new PendingUnaryCall<TResult, TCodec>(this, method);
        if (options.Input is { } input) call.Input = OutboundInput.For(input, method);
        call.Progress = options.Progress;
        _outbound.Register(call, options);
        call.RegisterCancellation(cancellationToken);
        ValueTask send;
        try
        {
            send = SendAsync(new RequestMessage<TArgs>(RequestId.FromNumber(call.Id), method.WireName, args, OutgoingTrace));
        }
        catch (Exception e)
        {
            FailSend(call, e);
            return call.Task;
        }
        if (!send.IsCompletedSuccessfully)
            _ = ObserveSendAsync(call, send);
        call.Input?.Start(call); // queued after the request: the items follow it on the wire
        return call.Task;
    }

    /// <inheritdoc />
    public override IAsyncEnumerable<TItem> InvokeStreamAsync<TArgs, TItem, TCodec>(MethodDescriptor method, TArgs args, RpcCallOptions options, CancellationToken cancellationToken)
        => new PendingStreamCall<TArgs, TItem, TCodec>(this, method, args, options, cancellationToken);

    /// <inheritdoc />
    public override TimeSpan DefaultCallTimeout => Options.DefaultCallTimeout;

    internal override string? RpcSystem => Protocol.RpcSystem;

    // The context sent with a request: the current activity's, unless the options keep it home.
    private Diagnostics.RpcTraceContext OutgoingTrace => Options.PropagateTraceContext ? Diagnostics.RpcTraceContext.Current : default;

    /// <inheritdoc />
    public override void Notify<TArgs>(MethodDescriptor method, TArgs args)
        => SendAndForget(new RequestMessage<TArgs>(RequestId.None, method.WireName, args, OutgoingTrace), method.WireName);

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
        if (call.Options.Input is { } input) call.Input = OutboundInput.For(input, call.Method);
        _outbound.Register(call, call.Options);
        call.RegisterCancellation(token);
        try
        {
            ValueTask send = SendAsync(new RequestMessage<TArgs>(RequestId.FromNumber(call.Id), call.Method.WireName, args, OutgoingTrace));
            call.Input?.Start(call); // queued after the request: the items follow it on the wire
            await send.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            FailSend(call, e);
        }
    }

    internal void FailSend(PendingCall call, Exception e)
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

    internal void SendInputCredit(RequestId id, int credit) => Notify(ProtocolMethods.InputCredit, new CreditParams(id, credit));

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

    // ---------------------------------------------------------------- writing

    internal ValueTask SendAsync<TMessage>(TMessage message, bool streamItem = false) where TMessage : struct, IOutgoingMessage
        => _writer.SendAsync(message, streamItem);

    // Racy reads on purpose: a wrong guess costs one system call or one hand-off, never a lost message.
    private bool InBurst() => _outbound.SeveralWaiting || _inbound.RepliesOwed > 1;

    // ---------------------------------------------------------------- reading

    private async Task ReadThenCloseAsync()
    {
        Exception? error = await _reader.ReadAllAsync().ConfigureAwait(false);
        await OnInputClosedAsync(error).ConfigureAwait(false);
    }

    /// <summary>
    /// Says that the owner is about to close the stream under the connection (before disposing it): the read that this
    /// ends is not logged as a failure.
    /// </summary>
    internal void MarkClosing() => _reader.MarkClosing();

    // Whatever ended the input, every call still waiting fails, with the reason the owner gives (exit code, stderr tail).
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
    public Task DrainAsync(CancellationToken cancellationToken = default) => _inbound.Table.Rules.DrainAsync(cancellationToken);

    /// <summary>Refuses new requests from now on (they get -32004), without waiting for those running.</summary>
    public void StopAcceptingRequests() => _inbound.Table.Rules.StopAccepting();

    /// <summary>Cancels every request from the other side that is still running.</summary>
    public void CancelInboundRequests() => _inbound.CancelAll();

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
