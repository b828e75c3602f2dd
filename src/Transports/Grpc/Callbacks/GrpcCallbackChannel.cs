using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using SidecarKit.Rpc;
using SidecarKit.Transports.Grpc.Protobuf;
using Grpc.Core;
using SidecarKit.Transports.Grpc.Server;

namespace SidecarKit.Transports.Grpc.Callbacks;

/// <summary>
/// The sidecar's side of callbacks over gRPC: the channel its contract implementations call the parent on. Each call
/// goes out on the parent's open <c>Subscribe</c> stream and waits for the parent's <c>Reply</c>; without a
/// subscription it fails at once with <c>FAILED_PRECONDITION</c>, saying so. The queue to the parent is unbounded for calls
/// (each waits for its reply within its timeout) and capped for notifications.
/// </summary>
internal sealed class GrpcCallbackChannel : RpcChannel
{
    private readonly ILogger _logger;

    public GrpcCallbackChannel(ILogger logger)
    {
        _logger = logger;
        s_queued.Track(this);
    }

    internal override string? RpcSystem => "grpc";

    // sidecarkit.callbacks.queued: calls and notifications to the parent waiting on its subscription.
    private static readonly SidecarKit.Diagnostics.LiveGauge<GrpcCallbackChannel> s_queued = new("sidecarkit.callbacks.queued", "{message}",
        "Calls and notifications to the parent waiting on its gRPC callback subscription.", "rpc.system", channel => (channel.Queued, "grpc"));

    private int Queued
    {
        get { lock (_gate) return _subscriber is { } s ? Volatile.Read(ref s.Queued) : 0; }
    }

    /// <summary>How many messages may wait for a parent that reads its subscription slowly; past that, notifications are dropped (logged).</summary>
    internal const int MaxQueued = 65_536;

    private readonly Lock _gate = new();
    private Subscription? _subscriber;
    private readonly ConcurrentDictionary<ulong, (TaskCompletionSource<CallbackMessages.Reply> Waiting, Subscription Via)> _pending = new();
    private long _nextId;

    // One parent's subscription: what waits to be sent on it.
    private sealed class Subscription
    {
        public readonly Channel<CallbackMessages.Call> Queue = Channel.CreateUnbounded<CallbackMessages.Call>(new UnboundedChannelOptions { SingleReader = true });
        public int Queued;
        public int Dropped;
    }

    /// <summary>Runs one parent's subscription until it ends: sends it every call made meanwhile .</summary>
    public async Task ServeSubscriptionAsync(IServerStreamWriter<CallbackMessages.Call> stream, ServerCallContext call, CancellationToken cancellationToken)
    {
        var subscription = new Subscription();
        lock (_gate)
        {
            if (_subscriber is not null)
                throw GrpcErrors.Status(GrpcStatusCode.AlreadyExists, "A parent is already subscribed to this sidecar's callbacks.");
            _subscriber = subscription;
        }
        try
        {
            // The headers go now: when the parent has them, it knows the subscription is in place.
            await call.WriteResponseHeadersAsync([]).ConfigureAwait(false);
            ChannelReader<CallbackMessages.Call> queue = subscription.Queue.Reader;
            var buffered = new WriteOptions(WriteFlags.BufferHint);
            while (await queue.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                // Everything waiting goes out in one flush: a burst of notifications is not a flush each.
                while (queue.TryRead(out CallbackMessages.Call? message))
                {
                    Interlocked.Decrement(ref subscription.Queued);
                    call.WriteOptions = queue.TryPeek(out _) ? buffered : null;   // flushed with the last one waiting
                    await stream.WriteAsync(message, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            lock (_gate)
            {
                if (_subscriber == subscription) _subscriber = null;
            }
            subscription.Queue.Writer.TryComplete();
            // Only the calls sent on this subscription: a new one may already carry others.
            foreach (var (id, entry) in _pending)
                if (entry.Via == subscription && _pending.TryRemove(id, out var waiting))
                    waiting.Waiting.TrySetException(new GrpcStatusException(GrpcStatusCode.Unavailable, RpcErrorCodes.ShuttingDown,
                        "The parent's callback subscription ended before it answered."));
            if (subscription.Dropped > 0)
                _logger.LogWarning("{Count} notifications to the parent were dropped: it read its subscription too slowly.", subscription.Dropped);
        }
    }

    /// <summary>Hands the parent's answer to the call waiting for it; <see langword="false"/> when none waits (it timed out).</summary>
    public bool Complete(CallbackMessages.Reply reply)
        => _pending.TryRemove(reply.Id, out var waiting) && waiting.Waiting.TrySetResult(reply);

    public override async Task<TResult> InvokeAsync<TArgs, TResult, TCodec>(MethodDescriptor method, TArgs args, RpcCallOptions options, CancellationToken cancellationToken)
    {
        if (options.Progress is not null) throw GrpcProtocol.NoProgress(method);
        if (options.Input is not null)
            throw new GrpcStatusException(GrpcStatusCode.Unimplemented, RpcErrorCodes.MethodNotFound,
                $"'{method.WireName}' takes a stream; callbacks over gRPC carry each call in one message, so they cannot take one.") { Method = method.WireName };
        Subscription subscription = Subscriber(method);
        ulong id = (ulong)Interlocked.Increment(ref _nextId);
        var waiting = new TaskCompletionSource<CallbackMessages.Reply>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = (waiting, subscription);
        try
        {
            // Calls are never dropped: they wait in the queue (their timeout runs meanwhile).
            Interlocked.Increment(ref subscription.Queued);
            if (!subscription.Queue.Writer.TryWrite(Encode(method, id, args)))
                throw NoSubscriber(method);
            CallbackMessages.Reply reply;
            try
            {
                TimeSpan remaining = options.Remaining;
                reply = remaining == Timeout.InfiniteTimeSpan || remaining > GrpcProtocol.MaxTimer
                    ? await waiting.Task.WaitAsync(cancellationToken).ConfigureAwait(false)
                    : await waiting.Task.WaitAsync(remaining, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw options.TimedOut(method);
            }
            if (reply.ErrorCode != 0)
                throw new SidecarRemoteException(reply.ErrorCode, reply.ErrorMessage, reply.ErrorData) { Method = method.WireName };
            return GrpcMethod.For(method).ReadResponse<TResult, TCodec>(reply.Response);
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    public override IAsyncEnumerable<TItem> InvokeStreamAsync<TArgs, TItem, TCodec>(MethodDescriptor method, TArgs args, RpcCallOptions options, CancellationToken cancellationToken)
        => throw new GrpcStatusException(GrpcStatusCode.Unimplemented, RpcErrorCodes.MethodNotFound,
            $"'{method.WireName}' streams its result to the sidecar; callbacks over gRPC carry unary calls and notifications only.") { Method = method.WireName };

    public override void Notify<TArgs>(MethodDescriptor method, TArgs args)
    {
        Subscription? subscription;
        lock (_gate) subscription = _subscriber;
        // A notification nobody subscribed to is dropped, as one to a parent that does not serve it would be; so is one
        // past MaxQueued waiting for a parent that does not read (counted, and logged when the subscription ends).
        if (subscription is null) return;
        if (Interlocked.Increment(ref subscription.Queued) > MaxQueued || !subscription.Queue.Writer.TryWrite(Encode(method, 0, args)))
        {
            Interlocked.Decrement(ref subscription.Queued);
            if (Interlocked.Increment(ref subscription.Dropped) == 1)
                _logger.LogWarning("Dropping notifications to the parent: {Count} messages wait on its subscription.", MaxQueued);
        }
    }

    private Subscription Subscriber(MethodDescriptor method)
    {
        lock (_gate) return _subscriber ?? throw NoSubscriber(method);
    }

    private static GrpcStatusException NoSubscriber(MethodDescriptor method)
        => new(GrpcStatusCode.FailedPrecondition, -32000,
            $"'{method.WireName}' calls the parent back, and no parent is subscribed to {CallbackMessages.SubscribePath} to take the call.") { Method = method.WireName };

    // The call's request message is encoded now (the args are the caller's); the CallbackCall around it when it is sent.
    private static CallbackMessages.Call Encode<TArgs>(MethodDescriptor method, ulong id, TArgs args) where TArgs : struct, Wire.IWireArgs<TArgs>
    {
        var encoder = new ProtobufEncoder();
        encoder.WriteArgs(in args);
        return new CallbackMessages.Call(id, method.WireName, GrpcMethod.For(method).Path, encoder.Buffer.AsSpan(0, encoder.Length).ToArray(),
            SidecarKit.Diagnostics.RpcTraceContext.Current);
    }
}
