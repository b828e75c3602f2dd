using SidecarKit.Wire;

namespace SidecarKit.Rpc;

/// <summary>
/// What a generated proxy calls: sends requests and notifications to the other side and returns typed results.
/// <see cref="RpcConnection"/> is the implementation over one connection; a supervisor supplies one that follows
/// the current sidecar instance across restarts.
/// </summary>
public abstract class RpcChannel
{
    /// <summary>
    /// The budget of calls with a result that have no timeout of their own (no <see cref="SidecarCall.WithTimeout"/>
    /// scope, no method timeout). Default 30 seconds.
    /// </summary>
    public virtual TimeSpan DefaultCallTimeout => TimeSpan.FromSeconds(30);

    /// <summary>
    /// Calls a method and returns its result; its deadline is resolved here (see <see cref="RpcCallOptions.For"/>), and
    /// so is its client span and its measurements, when anything listens (<see cref="Diagnostics.SidecarTelemetry"/>).
    /// </summary>
    public Task<TResult> InvokeAsync<TArgs, TResult, TCodec>(MethodDescriptor method, TArgs args, CancellationToken cancellationToken)
        where TArgs : struct, IWireArgs<TArgs>
        where TCodec : IWireCodec<TResult>
        => Invoke<TArgs, TResult, TCodec>(method, args, RpcCallOptions.For(method, DefaultCallTimeout), cancellationToken);

    // Every call with one result enters here once its options are resolved: observed when anything listens.
    private Task<TResult> Invoke<TArgs, TResult, TCodec>(MethodDescriptor method, TArgs args, RpcCallOptions options, CancellationToken cancellationToken)
        where TArgs : struct, IWireArgs<TArgs>
        where TCodec : IWireCodec<TResult>
        => Diagnostics.SidecarTelemetry.Enabled
            ? InvokeObservedAsync<TArgs, TResult, TCodec>(method, args, options, cancellationToken)
            : InvokeAsync<TArgs, TResult, TCodec>(method, args, options, cancellationToken);

    // Every call with a streamed result enters here once its options are resolved: observed when anything listens.
    private IAsyncEnumerable<TItem> InvokeStream<TArgs, TItem, TCodec>(MethodDescriptor method, TArgs args, RpcCallOptions options, CancellationToken cancellationToken)
        where TArgs : struct, IWireArgs<TArgs>
        where TCodec : IWireCodec<TItem>
    {
        IAsyncEnumerable<TItem> items = InvokeStreamAsync<TArgs, TItem, TCodec>(method, args, options, cancellationToken);
        return Diagnostics.SidecarTelemetry.Enabled ? ObserveStream(method, items, cancellationToken) : items;
    }

    // The span is current while the transport sends, so the transport sends its context along.
    private async Task<TResult> InvokeObservedAsync<TArgs, TResult, TCodec>(MethodDescriptor method, TArgs args, RpcCallOptions options, CancellationToken cancellationToken)
        where TArgs : struct, IWireArgs<TArgs>
        where TCodec : IWireCodec<TResult>
    {
        Diagnostics.CallTelemetry? telemetry = Diagnostics.CallTelemetry.StartClient(method.WireName, RpcSystem);
        try
        {
            TResult result = await InvokeAsync<TArgs, TResult, TCodec>(method, args, options, cancellationToken).ConfigureAwait(false);
            telemetry?.Stop(null);
            return result;
        }
        catch (Exception e)
        {
            telemetry?.Stop(e);
            throw;
        }
    }

    /// <summary>The <c>rpc.system</c> of the calls made here, for telemetry; null when not known yet (a restarting sidecar's).</summary>
    internal virtual string? RpcSystem => null;

    /// <summary>
    /// Calls a method and returns its result, within the deadline in <paramref name="options"/>; a client-streaming
    /// method's items are in <see cref="RpcCallOptions.Input"/> (a transport that cannot send them throws
    /// <see cref="NotSupportedException"/>, it never drops them).
    /// </summary>
    public abstract Task<TResult> InvokeAsync<TArgs, TResult, TCodec>(MethodDescriptor method, TArgs args, RpcCallOptions options, CancellationToken cancellationToken)
        where TArgs : struct, IWireArgs<TArgs>
        where TCodec : IWireCodec<TResult>;

    /// <summary>Calls a method whose result is a stream. The call starts when the stream is enumerated.</summary>
    public IAsyncEnumerable<TItem> InvokeStreamAsync<TArgs, TItem, TCodec>(MethodDescriptor method, TArgs args, CancellationToken cancellationToken)
        where TArgs : struct, IWireArgs<TArgs>
        where TCodec : IWireCodec<TItem>
        => InvokeStream<TArgs, TItem, TCodec>(method, args, RpcCallOptions.For(method, DefaultCallTimeout), cancellationToken);

    // The span covers the whole stream, from the first MoveNextAsync (which sends the request) to its end.
    private async IAsyncEnumerable<TItem> ObserveStream<TItem>(MethodDescriptor method, IAsyncEnumerable<TItem> items,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Diagnostics.CallTelemetry? telemetry = Diagnostics.CallTelemetry.StartClient(method.WireName, RpcSystem);
        Exception? failure = null;
        IAsyncEnumerator<TItem> enumerator = items.GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                try
                {
                    if (!await enumerator.MoveNextAsync().ConfigureAwait(false)) break;
                }
                catch (Exception e)
                {
                    failure = e;
                    throw;
                }
                yield return enumerator.Current;
            }
        }
        finally
        {
            await enumerator.DisposeAsync().ConfigureAwait(false);
            telemetry?.Stop(failure);
        }
    }

    /// <summary>
    /// Calls a method whose result is a stream, within the deadline in <paramref name="options"/>. The call starts when
    /// the stream is enumerated. A bidirectional method's items to send are in <see cref="RpcCallOptions.Input"/>.
    /// </summary>
    public abstract IAsyncEnumerable<TItem> InvokeStreamAsync<TArgs, TItem, TCodec>(MethodDescriptor method, TArgs args, RpcCallOptions options, CancellationToken cancellationToken)
        where TArgs : struct, IWireArgs<TArgs>
        where TCodec : IWireCodec<TItem>;

    /// <summary>
    /// Calls a method with an <see cref="IProgress{T}"/> parameter: the callee's reports reach <paramref name="progress"/>
    /// in order, before the call completes (on the connection's read loop: keep <see cref="IProgress{T}.Report"/> quick,
    /// as <see cref="Progress{T}"/> is). A null <paramref name="progress"/> asks for no reports.
    /// </summary>
    public Task<TResult> InvokeWithProgressAsync<TArgs, TResult, TCodec, TProgress, TProgressCodec>(MethodDescriptor method, TArgs args, IProgress<TProgress>? progress, CancellationToken cancellationToken)
        where TArgs : struct, IWireArgs<TArgs>
        where TCodec : IWireCodec<TResult>
        where TProgressCodec : IWireCodec<TProgress>
    {
        RpcCallOptions options = RpcCallOptions.For(method, DefaultCallTimeout);
        if (progress is not null) options = options with { Progress = new RpcProgressTarget<TProgress, TProgressCodec>(progress) };
        return Invoke<TArgs, TResult, TCodec>(method, args, options, cancellationToken);
    }

    /// <summary>
    /// Calls a method that takes a stream (client streaming): <paramref name="input"/> is sent item by item, with the
    /// receiver's credit as flow control, while the call runs; the result comes once the method returns. The call's
    /// budget and span are resolved here as for <see cref="InvokeAsync{TArgs, TResult, TCodec}(MethodDescriptor, TArgs, CancellationToken)"/>.
    /// </summary>
    public Task<TResult> InvokeClientStreamAsync<TArgs, TItem, TItemCodec, TResult, TCodec>(MethodDescriptor method, TArgs args, IAsyncEnumerable<TItem> input, CancellationToken cancellationToken)
        where TArgs : struct, IWireArgs<TArgs>
        where TItemCodec : IWireCodec<TItem>
        where TCodec : IWireCodec<TResult>
        => Invoke<TArgs, TResult, TCodec>(method, args,
            RpcCallOptions.For(method, DefaultCallTimeout) with { Input = new RpcInput<TItem, TItemCodec>(input) }, cancellationToken);

    /// <summary>
    /// Calls a method that takes a stream and returns one (bidirectional streaming): the call starts when the result is
    /// enumerated; from then on <paramref name="input"/> is sent while the result's items arrive, each direction with
    /// its own credit. Ending the enumeration early cancels the call, and the sending of <paramref name="input"/> with it.
    /// </summary>
    public IAsyncEnumerable<TResult> InvokeDuplexStreamAsync<TArgs, TItem, TItemCodec, TResult, TCodec>(MethodDescriptor method, TArgs args, IAsyncEnumerable<TItem> input, CancellationToken cancellationToken)
        where TArgs : struct, IWireArgs<TArgs>
        where TItemCodec : IWireCodec<TItem>
        where TCodec : IWireCodec<TResult>
        => InvokeStream<TArgs, TResult, TCodec>(method, args,
            RpcCallOptions.For(method, DefaultCallTimeout) with { Input = new RpcInput<TItem, TItemCodec>(input) }, cancellationToken);

    /// <summary>Sends a one-way notification. Failures to send are logged, not thrown: notifications have no reply.</summary>
    public abstract void Notify<TArgs>(MethodDescriptor method, TArgs args)
        where TArgs : struct, IWireArgs<TArgs>;

    /// <summary>Returns a typed client for <typeparamref name="TContract"/> whose calls go over this channel.</summary>
    public TContract GetClient<TContract>() where TContract : class, ISidecarContract<TContract>
        => TContract.CreateProxy(this);
}
