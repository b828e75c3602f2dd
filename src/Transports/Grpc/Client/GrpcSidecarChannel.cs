using SidecarKit.Diagnostics;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SidecarKit.Rpc;
using SidecarKit.Transports.Grpc.Marshalling;
using SidecarKit.Wire;

namespace SidecarKit.Transports.Grpc;

/// <summary>
/// Calls a sidecar's contracts over gRPC through grpc-dotnet's <see cref="CallInvoker"/>: a generated proxy on this
/// channel makes ordinary gRPC calls, so interceptors, deadlines, compression and retry policies of the
/// <see cref="GrpcChannel"/> it runs on apply to it. Each call's deadline is its time budget (<c>SidecarCall.WithTimeout</c>,
/// the method's timeout, else <see cref="GrpcClientOptions.DefaultCallTimeout"/>); statuses become the same exceptions
/// as on the other transports.
/// </summary>
/// <example>
/// A sidecar that announced its address:
/// <code>
/// await using var channel = GrpcSidecarChannel.Create("127.0.0.1:50051", new GrpcClientOptions { Token = token });
/// IDemo demo = channel.GetClient&lt;IDemo&gt;();
/// int sum = await demo.AddAsync(2, 3);
/// </code>
/// A <see cref="GrpcChannel"/> configured by the application, with its own interceptor:
/// <code>
/// using GrpcChannel grpc = GrpcChannel.ForAddress("http://127.0.0.1:50051");
/// IDemo demo = grpc.Intercept(new AuthInterceptor(token)).GetSidecarClient&lt;IDemo&gt;();
/// </code>
/// </example>
public sealed class GrpcSidecarChannel : RpcChannel, IAsyncDisposable, IDisposable
{
    /// <summary>How long disposing waits for the calls in flight to end before it cuts them (see <see cref="DisposeAsync"/>).</summary>
    private static readonly TimeSpan s_disposeGrace = TimeSpan.FromSeconds(1);

    private readonly CallInvoker _invoker;

    /// <summary>The invoker the calls go through (an attachment checks health over it).</summary>
    internal CallInvoker Invoker => _invoker;
    private readonly GrpcChannel? _owned;               // the channel made from a listenInfo, disposed with this one
    private readonly GrpcChannel? _callbackConnection;  // the callbacks' own connection, when made here
    private readonly GrpcClientOptions _options;
    private readonly string? _authorization;
    private readonly Metadata? _sharedHeaders;         // on our own channel without interceptors nothing changes the headers: one instance serves every call
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Callbacks.CallbackSubscription? _subscription;
    private readonly Lock _notifyLock = new();
    private readonly LocalDeadlines _localDeadlines = new();
    private Task _notifications = Task.CompletedTask;

    // Calls in flight, for a dispose that lets answers already on their way arrive.
    private int _active;
    private volatile bool _disposing;
    private TaskCompletionSource? _idle;
    private int _disposed;

    private GrpcSidecarChannel(CallInvoker invoker, GrpcChannel? owned, GrpcClientOptions options, Func<CallInvoker>? callbackInvoker)
    {
        _invoker = invoker;
        _owned = owned;
        _options = options;
        _authorization = options.Token is null ? null : "Bearer " + options.Token;
        if (owned is not null && options.Interceptors.Count == 0) _sharedHeaders = NewHeaders();
        _logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("SidecarKit.Grpc.Client");
        if (options.Callbacks is { Contracts.Count: > 0 } callbacks)
        {
            CallInvoker callbacksInvoker = callbackInvoker?.Invoke() ?? invoker;
            _subscription = new Callbacks.CallbackSubscription(callbacksInvoker, Headers, callbacks, _logger, _stop.Token);
        }
    }

    private GrpcSidecarChannel(GrpcClientOptions options, GrpcChannel owned, GrpcChannel? callbackConnection)
        : this(Intercepted(owned, options), owned, options, callbackConnection is null ? null : () => Intercepted(callbackConnection, options))
    {
        _callbackConnection = callbackConnection;
    }

    /// <summary>
    /// A channel to <paramref name="listenInfo"/>, as a sidecar announces it: <c>host:port</c> for loopback TCP, or the
    /// path of a Unix socket (anything with a <c>/</c>). It makes its own <see cref="GrpcChannel"/> (h2c, one HTTP/2
    /// connection, and a second one for <see cref="GrpcClientOptions.Callbacks"/>), shaped by
    /// <see cref="GrpcClientOptions.ConfigureChannel"/> and <see cref="GrpcClientOptions.Interceptors"/>.
    /// </summary>
    public static GrpcSidecarChannel Create(string listenInfo, GrpcClientOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(listenInfo);
        options ??= new GrpcClientOptions();
        GrpcChannel owned = CreateGrpcChannel(listenInfo, options);
        // The callbacks get a connection of their own: a reply must never wait for a stream slot held by the very
        // calls that are waiting for it (the server allows MaxConcurrentStreams per connection).
        GrpcChannel? callbacks = options.Callbacks is { Contracts.Count: > 0 } ? CreateGrpcChannel(listenInfo, options) : null;
        return new GrpcSidecarChannel(options, owned, callbacks);
    }

    /// <summary>
    /// A channel whose calls go through <paramref name="invoker"/>: any <see cref="CallInvoker"/> the application
    /// configured (<c>grpcChannel.CreateCallInvoker()</c>, one with interceptors, one from <c>Grpc.Net.ClientFactory</c>).
    /// Its deadlines, compression and retry policies apply to the generated proxy's calls; the bearer token of
    /// <see cref="GrpcClientOptions.Token"/> is added when set (an interceptor may add it instead). Disposing this channel
    /// does not dispose the invoker's channel. Callbacks, when <see cref="GrpcClientOptions.Callbacks"/> has any, are
    /// subscribed through the same invoker.
    /// </summary>
    public static GrpcSidecarChannel Create(CallInvoker invoker, GrpcClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(invoker);
        return new GrpcSidecarChannel(invoker, owned: null, options ?? new GrpcClientOptions(), callbackInvoker: null);
    }

    // A channel this one owns and disposes, made by GrpcSidecarPool (no callbacks over a pool).
    internal static GrpcSidecarChannel Create(GrpcChannel owned, GrpcClientOptions options) => new(options, owned, null);

    /// <summary>
    /// Completes when the channel can serve the sidecar's calls back: at once without <see cref="GrpcClientOptions.Callbacks"/>,
    /// else once the sidecar has taken the subscription.
    /// </summary>
    public Task ConnectAsync(CancellationToken cancellationToken = default)
        => _subscription is null ? Task.CompletedTask : _subscription.Subscribed.WaitAsync(cancellationToken);

    private static CallInvoker Intercepted(GrpcChannel channel, GrpcClientOptions options)
        => options.Interceptors.Count == 0 ? channel.CreateCallInvoker() : channel.Intercept([.. options.Interceptors]);

    private static GrpcChannel CreateGrpcChannel(string listenInfo, GrpcClientOptions options)
    {
        var channelOptions = new GrpcChannelOptions
        {
            HttpHandler = SidecarHttpHandler.CreateForCalls(listenInfo, options.Tls),
            DisposeHttpClient = true,
            MaxReceiveMessageSize = options.MaxReceiveMessageSize,
            LoggerFactory = options.LoggerFactory,
            CompressionProviders = [new VerifiedGzipCompressionProvider()],   // a truncated gzip answer is an error, not a shorter one
        };
        options.ConfigureChannel?.Invoke(channelOptions);
        return GrpcChannel.ForAddress(SidecarHttpHandler.AddressOf(listenInfo, options.Tls), channelOptions);
    }

    /// <inheritdoc />
    public override async Task<TResult> InvokeAsync<TArgs, TResult, TCodec>(MethodDescriptor method, TArgs args, RpcCallOptions options, CancellationToken cancellationToken)
    {
        if (options.Progress is not null) throw GrpcProtocol.NoProgress(method);
        if (options.Input is { } input)
            return await input.Accept(new ClientStreamStart<TArgs, TResult, TCodec>(this, method, args, options, cancellationToken)).ConfigureAwait(false);
        // The call's budget was resolved once, where the proxy made the call; what is left of it is the deadline: sent
        // as the gRPC deadline when someone chose it, else kept here (LocalDeadlines).
        TimeSpan timeout = options.Timeout;
        long started = Stopwatch.GetTimestamp();
        Enter(method);
        LocalDeadlines.Call? local = options.IsDefault && options.HasDeadline ? _localDeadlines.Start(options.DeadlineTicks) : null;
        try
        {
            var callOptions = new CallOptions(Headers(), local is null ? options.DeadlineUtc : null, cancellationToken);
            using AsyncUnaryCall<GrpcResponse<TResult>> call = _invoker.AsyncUnaryCall(GrpcMarshallers.GetMethod<TArgs, TResult, TCodec>(method), null,
                callOptions, new GrpcRequest<TArgs>(args));
            local?.Attach(call);
            return (await call.ResponseAsync.ConfigureAwait(false)).Value;
        }
        catch (Exception) when (local is { Expired: true } && !cancellationToken.IsCancellationRequested)
        {
            throw new SidecarTimeoutException(method.WireName, timeout);
        }
        catch (Exception e) when (Translate(e, method, timeout, started, cancellationToken) is { } translated)
        {
            throw translated;
        }
        finally
        {
            local?.Dispose();
            Exit();
        }
    }

    /// <inheritdoc />
    public override IAsyncEnumerable<TItem> InvokeStreamAsync<TArgs, TItem, TCodec>(MethodDescriptor method, TArgs args, RpcCallOptions options, CancellationToken cancellationToken)
        => options.Input is { } input
            ? input.Accept(new DuplexStart<TArgs, TItem, TCodec>(this, method, args, options, cancellationToken))
            : ServerStreamAsync<TArgs, TItem, TCodec>(method, args, options, cancellationToken);

    // The proxies' visitors: the streamed parameter's item type and codec arrive as generic arguments.
    private sealed class ClientStreamStart<TArgs, TResult, TCodec>(GrpcSidecarChannel channel, MethodDescriptor method, TArgs args, RpcCallOptions options, CancellationToken cancellationToken)
        : IRpcInputVisitor<Task<TResult>>
        where TArgs : struct, IWireArgs<TArgs>
        where TCodec : IWireCodec<TResult>
    {
        public Task<TResult> Visit<TInput, TInputCodec>(RpcInput<TInput, TInputCodec> input) where TInputCodec : IWireCodec<TInput>
            => channel.ClientStreamAsync<TArgs, TInput, TInputCodec, TResult, TCodec>(method, args, input, options, cancellationToken);
    }

    private sealed class DuplexStart<TArgs, TItem, TCodec>(GrpcSidecarChannel channel, MethodDescriptor method, TArgs args, RpcCallOptions options, CancellationToken cancellationToken)
        : IRpcInputVisitor<IAsyncEnumerable<TItem>>
        where TArgs : struct, IWireArgs<TArgs>
        where TCodec : IWireCodec<TItem>
    {
        public IAsyncEnumerable<TItem> Visit<TInput, TInputCodec>(RpcInput<TInput, TInputCodec> input) where TInputCodec : IWireCodec<TInput>
            => channel.DuplexAsync<TArgs, TInput, TInputCodec, TItem, TCodec>(method, args, input, options, cancellationToken);
    }

    private async Task<TResult> ClientStreamAsync<TArgs, TInput, TInputCodec, TResult, TCodec>(MethodDescriptor method, TArgs args,
        RpcInput<TInput, TInputCodec> input, RpcCallOptions options, CancellationToken cancellationToken)
        where TArgs : struct, IWireArgs<TArgs>
        where TInputCodec : IWireCodec<TInput>
        where TCodec : IWireCodec<TResult>
    {
        input.Claim(method);
        TimeSpan timeout = options.Timeout;
        long started = Stopwatch.GetTimestamp();
        Enter(method);
        try
        {
            using AsyncClientStreamingCall<GrpcInputMessage<TArgs, TInput>, GrpcResponse<TResult>> call = _invoker.AsyncClientStreamingCall(
                GrpcMarshallers.GetInputMethod<TArgs, TInput, TInputCodec, TResult, TCodec>(method), null, new CallOptions(Headers(), options.DeadlineUtc, cancellationToken));
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var sending = new InputSending();
            _ = sending.SendAsync(call.RequestStream, args, input.Items, call, stop.Token);
            try
            {
                return (await call.ResponseAsync.ConfigureAwait(false)).Value;
            }
            catch (Exception) when (sending.Failure is { } failure)
            {
                // The caller's own stream failed: the call was cancelled for it (a gRPC client cannot send an error), and
                // fails here with the caller's exception.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
                throw;
            }
            finally
            {
                stop.Cancel(); // answered before the input ended: the rest is not sent
            }
        }
        catch (Exception e) when (Translate(e, method, timeout, started, cancellationToken) is { } translated)
        {
            throw translated;
        }
        finally
        {
            Exit();
        }
    }

    private async IAsyncEnumerable<TItem> DuplexAsync<TArgs, TInput, TInputCodec, TItem, TCodec>(MethodDescriptor method, TArgs args,
        RpcInput<TInput, TInputCodec> input, RpcCallOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
        where TArgs : struct, IWireArgs<TArgs>
        where TInputCodec : IWireCodec<TInput>
        where TCodec : IWireCodec<TItem>
    {
        input.Claim(method);
        TimeSpan timeout = options.Timeout;
        long started = Stopwatch.GetTimestamp();
        Enter(method);
        try
        {
            AsyncDuplexStreamingCall<GrpcInputMessage<TArgs, TInput>, GrpcResponse<TItem>> call;
            try
            {
                call = _invoker.AsyncDuplexStreamingCall(GrpcMarshallers.GetInputMethod<TArgs, TInput, TInputCodec, TItem, TCodec>(method), null,
                    new CallOptions(Headers(), options.DeadlineUtc, cancellationToken));
            }
            catch (Exception e) when (Translate(e, method, timeout, started, cancellationToken) is { } translated)
            {
                throw translated;
            }
            // Disposing a call that has not ended resets its stream: leaving an await foreach early cancels it, and
            // stops the sending of the input with it.
            using (call)
            using (var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                var sending = new InputSending();
                _ = sending.SendAsync(call.RequestStream, args, input.Items, call, stop.Token);
                try
                {
                    IAsyncStreamReader<GrpcResponse<TItem>> items = call.ResponseStream;
                    while (true)
                    {
                        try
                        {
                            if (!await items.MoveNext(cancellationToken).ConfigureAwait(false)) yield break;
                        }
                        catch (Exception) when (sending.Failure is { } failure)
                        {
                            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
                            throw;
                        }
                        catch (Exception e) when (Translate(e, method, timeout, started, cancellationToken) is { } translated)
                        {
                            throw translated;
                        }
                        yield return items.Current.Value;
                    }
                }
                finally
                {
                    stop.Cancel();
                }
            }
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// Sends a streamed parameter: the parameters alone first (so the call starts at once, whenever the first item
    /// comes), then one message per item, each write waiting for HTTP/2 flow control. The caller's own failure (its
    /// stream threw, or an item cannot be written) is kept in <see cref="Failure"/> before the call is cancelled for it,
    /// so that the call reports it rather than the cancellation; the input ending, or the call ending (its response
    /// says how), is no failure.
    /// </summary>
    private sealed class InputSending
    {
        private volatile Exception? _failure;

        public Exception? Failure => _failure;

        public async Task SendAsync<TArgs, TInput>(IClientStreamWriter<GrpcInputMessage<TArgs, TInput>> writer, TArgs args,
            IAsyncEnumerable<TInput> items, IDisposable call, CancellationToken stop)
            where TArgs : struct, IWireArgs<TArgs>
        {
            bool writing = true;
            try
            {
                await writer.WriteAsync(GrpcInputMessage<TArgs, TInput>.ForArgs(args), stop).ConfigureAwait(false);
                writing = false;
                await foreach (TInput item in items.WithCancellation(stop).ConfigureAwait(false))
                {
                    writing = true;
                    await writer.WriteAsync(GrpcInputMessage<TArgs, TInput>.ForItem(item), stop).ConfigureAwait(false);
                    writing = false;
                }
                writing = true;
                await writer.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
            }
            catch (Exception e) when (writing && e is RpcException or InvalidOperationException or IOException or ObjectDisposedException)
            {
                // The call ended under the write (answered, failed, reset): its response says how.
            }
            catch (Exception e)
            {
                _failure = e;
                call.Dispose();
            }
        }
    }

    private async IAsyncEnumerable<TItem> ServerStreamAsync<TArgs, TItem, TCodec>(MethodDescriptor method, TArgs args, RpcCallOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
        where TArgs : struct, IWireArgs<TArgs>
        where TCodec : IWireCodec<TItem>
    {
        // A stream has no deadline unless one is set for it; then it covers the whole stream.
        TimeSpan timeout = options.Timeout;
        long started = Stopwatch.GetTimestamp();
        Enter(method);
        try
        {
            AsyncServerStreamingCall<GrpcResponse<TItem>> call;
            try
            {
                call = _invoker.AsyncServerStreamingCall(GrpcMarshallers.GetMethod<TArgs, TItem, TCodec>(method), null,
                    new CallOptions(Headers(), options.DeadlineUtc, cancellationToken), new GrpcRequest<TArgs>(args));
            }
            catch (Exception e) when (Translate(e, method, timeout, started, cancellationToken) is { } translated)
            {
                throw translated;
            }
            // Disposing a call that has not ended resets its stream: leaving an await foreach early cancels it.
            using (call)
            {
                IAsyncStreamReader<GrpcResponse<TItem>> items = call.ResponseStream;
                while (true)
                {
                    try
                    {
                        if (!await items.MoveNext(cancellationToken).ConfigureAwait(false)) yield break;
                    }
                    catch (Exception e) when (Translate(e, method, timeout, started, cancellationToken) is { } translated)
                    {
                        throw translated;
                    }
                    yield return items.Current.Value;
                }
            }
        }
        finally
        {
            Exit();
        }
    }

    /// <inheritdoc />
    public override void Notify<TArgs>(MethodDescriptor method, TArgs args)
    {
        // One after the other: each is a unary call, answered once the sidecar ran it, so the next one is sent only
        // then and they run in the order sent, as on the other transports.
        lock (_notifyLock) _notifications = NotifyAfterAsync(_notifications, method, args);
    }

    private async Task NotifyAfterAsync<TArgs>(Task previous, MethodDescriptor method, TArgs args) where TArgs : struct, IWireArgs<TArgs>
    {
        await previous.ConfigureAwait(false);   // never faults: failures are logged below
        try
        {
            await InvokeAsync<TArgs, VoidResult, WireCodecs.Void>(method, args, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _logger.LogWarning("Notification '{Method}' failed: {Reason}", method.WireName, e.Message);
        }
    }

    /// <summary>
    /// The headers of one call: a fresh instance when an interceptor may add to it (an application's invoker, our
    /// interceptors), else the shared one. <see langword="null"/> when there are none.
    /// </summary>
    private Metadata? Headers()
    {
        // The current span's context goes along (W3C trace context headers), on a fresh instance for this call.
        RpcTraceContext trace = System.Diagnostics.Activity.Current is null ? default : RpcTraceContext.Current;
        if (trace.IsEmpty) return _sharedHeaders ?? NewHeaders();
        Metadata headers = NewHeaders() ?? [];
        headers.Add("traceparent", trace.TraceParent!);
        if (trace.TraceState is { Length: > 0 } state) headers.Add("tracestate", state);
        return headers;
    }

    private Metadata? NewHeaders()
    {
        if (_authorization is null && !_options.CompressRequests) return null;
        var headers = new Metadata();
        if (_authorization is not null) headers.Add("authorization", _authorization);
        // grpc-dotnet's way of asking for a compressed request: it sends grpc-encoding: gzip and compresses the message.
        if (_options.CompressRequests) headers.Add("grpc-internal-encoding-request", "gzip");
        return headers;
    }

    /// <inheritdoc />
    public override TimeSpan DefaultCallTimeout => _options.DefaultCallTimeout;

    internal override string? RpcSystem => "grpc";

    private void Enter(MethodDescriptor method)
    {
        Interlocked.Increment(ref _active);
        if (_disposing)
        {
            Exit();
            throw new GrpcStatusException(GrpcStatusCode.Unavailable, RpcErrorCodes.ShuttingDown,
                $"The call to '{method.WireName}' was not made: the channel is disposed.", null, new ObjectDisposedException(nameof(GrpcSidecarChannel))) { Method = method.WireName };
        }
    }

    private void Exit()
    {
        if (Interlocked.Decrement(ref _active) == 0 && _disposing) Volatile.Read(ref _idle)?.TrySetResult();
    }

    // Deadlines, cancellation, statuses and broken connections as this toolkit's exceptions.
    private Exception? Translate(Exception e, MethodDescriptor method, TimeSpan timeout, long started, CancellationToken caller)
    {
        string name = method.WireName;
        switch (e)
        {
            case SidecarException:
                return null;
            case OperationCanceledException when caller.IsCancellationRequested:
            case RpcException { StatusCode: StatusCode.Cancelled } when caller.IsCancellationRequested:
                return new OperationCanceledException(caller);
            case RpcException { StatusCode: StatusCode.DeadlineExceeded }:
            case OperationCanceledException when !_disposing:   // a channel that throws OperationCanceledException at its deadline
                return new SidecarTimeoutException(name, timeout != Timeout.InfiniteTimeSpan ? timeout : Stopwatch.GetElapsedTime(started));
            case RpcException r when GrpcClientErrors.CodecFailure(r) is { } codec:
                return new SidecarProtocolException($"The call to '{name}' could not be encoded or its result read: {codec.Message}", codec);
            case RpcException { StatusCode: StatusCode.Cancelled } r when _disposing && r.Trailers.GetValue(GrpcProtocol.ErrorCodeTrailer) is null:
            case OperationCanceledException or ObjectDisposedException when _disposing:
                return new GrpcStatusException(GrpcStatusCode.Unavailable, RpcErrorCodes.ShuttingDown,
                    $"The call to '{name}' was cut: the channel was disposed.", null, e) { Method = name };
            case RpcException r:
                return GrpcClientErrors.FromStatus(r, name);
            case HttpRequestException or IOException:
                return new GrpcStatusException(GrpcStatusCode.Unavailable, RpcErrorCodes.ShuttingDown,
                    $"The call to '{name}' failed: the sidecar cannot be reached or closed the connection ({e.Message}).", null, e) { Method = name };
            default:
                return null;
        }
    }

    /// <summary>
    /// Stops the callback subscription and refuses new calls. The <see cref="GrpcChannel"/> made from a listenInfo is
    /// disposed, which cuts its calls still in flight at once (they fail with <c>UNAVAILABLE</c>); an application's own
    /// <see cref="CallInvoker"/> is left as it is. Prefer <see cref="DisposeAsync"/>, which lets answers on their way arrive.
    /// </summary>
    public void Dispose()
    {
        _disposing = true;
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stop.Cancel();
        _localDeadlines.Dispose();
        _callbackConnection?.Dispose();
        _owned?.Dispose();
    }

    /// <summary>
    /// Stops taking calls, waits up to one second for those in flight to end (an answer the sidecar already sent, or a
    /// connection that closed, ends them at once), then disposes as <see cref="Dispose"/> does.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Volatile.Read(ref _disposed) != 0) return;
        var idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.CompareExchange(ref _idle, idle, null);
        _disposing = true;
        if (Volatile.Read(ref _active) == 0) _idle!.TrySetResult();
        await Task.WhenAny(_idle!.Task, Task.Delay(s_disposeGrace)).ConfigureAwait(false);
        Dispose();
    }
}
