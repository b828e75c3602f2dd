using System.Collections.Concurrent;
using System.Threading.Channels;
using SidecarKit.Rpc;
using SidecarKit.Transports.Grpc.Protobuf;
using SidecarKit.Transports.Grpc.Server;

namespace SidecarKit.Transports.Grpc.Callbacks;

/// <summary>
/// The sidecar's side of callbacks over gRPC: the channel its contract implementations call the parent on. Each call
/// goes out on the parent's open <c>Subscribe</c> stream and waits for the parent's <c>Reply</c>; without a
/// subscription it fails at once with <c>FAILED_PRECONDITION</c>, saying so.
/// </summary>
internal sealed class GrpcCallbackChannel : RpcChannel
{
    private readonly Lock _gate = new();
    private ChannelWriter<byte[]>? _subscriber;
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource<CallbackMessages.Reply>> _pending = new();
    private long _nextId;

    /// <summary>Runs one parent's subscription until it ends: sends it every call made meanwhile.</summary>
    public async Task ServeSubscriptionAsync(GrpcServerCall call, CancellationToken cancellationToken)
    {
        // Bounded: a parent that stops reading its subscription slows the calls to it down rather than growing memory.
        var queue = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(1024) { SingleReader = true });
        lock (_gate)
        {
            if (_subscriber is not null)
                throw new GrpcFramingException(GrpcStatusCode.AlreadyExists, "A parent is already subscribed to this sidecar's callbacks.");
            _subscriber = queue.Writer;
        }
        try
        {
            // The headers go now: when the parent has them, it knows the subscription is in place.
            call.Context.Response.ContentType = GrpcProtocol.ContentType;
            await call.Context.Response.StartAsync(cancellationToken).ConfigureAwait(false);
            await call.Context.Response.BodyWriter.FlushAsync(cancellationToken).ConfigureAwait(false);   // StartAsync only queues them
            await foreach (byte[] message in queue.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                call.SendMessage(message);
                await call.Context.Response.BodyWriter.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            lock (_gate) _subscriber = null;
            queue.Writer.TryComplete();
            foreach (ulong id in _pending.Keys)
                if (_pending.TryRemove(id, out var waiting))
                    waiting.TrySetException(new GrpcStatusException(GrpcStatusCode.Unavailable, RpcErrorCodes.ShuttingDown,
                        "The parent's callback subscription ended before it answered."));
        }
    }

    /// <summary>Hands the parent's answer to the call waiting for it; <see langword="false"/> when none waits (it timed out).</summary>
    public bool Complete(CallbackMessages.Reply reply)
        => _pending.TryRemove(reply.Id, out var waiting) && waiting.TrySetResult(reply);

    public override async Task<TResult> InvokeAsync<TArgs, TResult, TCodec>(MethodDescriptor method, TArgs args, CancellationToken cancellationToken)
    {
        ChannelWriter<byte[]> subscriber = Subscriber(method);
        ulong id = (ulong)Interlocked.Increment(ref _nextId);
        var waiting = new TaskCompletionSource<CallbackMessages.Reply>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = waiting;
        TimeSpan timeout = SidecarCall.CurrentTimeout ?? method.Timeout ?? TimeSpan.FromSeconds(30);
        try
        {
            await subscriber.WriteAsync(Encode(method, id, args), cancellationToken).ConfigureAwait(false);
            CallbackMessages.Reply reply;
            try
            {
                reply = timeout == Timeout.InfiniteTimeSpan
                    ? await waiting.Task.WaitAsync(cancellationToken).ConfigureAwait(false)
                    : await waiting.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new SidecarTimeoutException(method.WireName, timeout);
            }
            if (reply.ErrorCode != 0)
                throw new SidecarRemoteException(reply.ErrorCode, reply.ErrorMessage, reply.ErrorData) { Method = method.WireName };
            return GrpcMethod.For(method).ReadResponse<TResult, TCodec>(reply.Response);
        }
        catch (ChannelClosedException)
        {
            throw NoSubscriber(method);
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    public override IAsyncEnumerable<TItem> InvokeStreamAsync<TArgs, TItem, TCodec>(MethodDescriptor method, TArgs args, CancellationToken cancellationToken)
        => throw new GrpcStatusException(GrpcStatusCode.Unimplemented, RpcErrorCodes.MethodNotFound,
            $"'{method.WireName}' streams its result to the sidecar; callbacks over gRPC carry unary calls and notifications only.") { Method = method.WireName };

    public override void Notify<TArgs>(MethodDescriptor method, TArgs args)
    {
        ChannelWriter<byte[]>? subscriber;
        lock (_gate) subscriber = _subscriber;
        // A notification nobody subscribed to is dropped, as one to a parent that does not serve it would be.
        subscriber?.TryWrite(Encode(method, 0, args));
    }

    private ChannelWriter<byte[]> Subscriber(MethodDescriptor method)
    {
        lock (_gate) return _subscriber ?? throw NoSubscriber(method);
    }

    private static GrpcStatusException NoSubscriber(MethodDescriptor method)
        => new(GrpcStatusCode.FailedPrecondition, -32000,
            $"'{method.WireName}' calls the parent back, and no parent is subscribed to {CallbackMessages.SubscribePath} to take the call.") { Method = method.WireName };

    private static byte[] Encode<TArgs>(MethodDescriptor method, ulong id, TArgs args) where TArgs : struct, Wire.IWireArgs<TArgs>
    {
        var encoder = new ProtobufEncoder();
        encoder.WriteArgs(in args);
        byte[] request = encoder.Buffer.AsSpan(0, encoder.Length).ToArray();
        encoder.Reset();
        CallbackMessages.Write(encoder, new CallbackMessages.Call(id, method.WireName, GrpcMethod.For(method).Path, request));
        return encoder.Buffer.AsSpan(0, encoder.Length).ToArray();
    }
}
