using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using SidecarKit.Rpc;
using SidecarKit.Wire;

namespace SidecarKit.Hosting;

/// <summary>
/// Serves <typeparamref name="TContract"/> with an implementation resolved in a new scope per call
/// (<see cref="SidecarContractLifetime.PerCall"/>), without reflection: the generated handlers give each method's
/// argument, result and codec types (<see cref="RpcMethodHandler.Bind{T}"/>), and each is wrapped in a handler of the
/// same types that opens the scope, resolves the implementation, and calls the generated handler made for it.
/// </summary>
internal sealed class PerCallHandlers<TContract> where TContract : class, ISidecarContract<TContract>
{
    private readonly IServiceScopeFactory _scopes;
    private readonly Func<IServiceProvider, TContract> _resolve;
    private readonly RpcMethodHandler[] _shapes;

    public PerCallHandlers(IServiceScopeFactory scopes, Func<IServiceProvider, TContract> resolve)
    {
        _scopes = scopes;
        _resolve = resolve;
        // The shapes: the generated handlers around a proxy that is never called (only their types are used).
        var table = new RpcHandlerTable();
        TContract.AddHandlers(table, TContract.CreateProxy(NoChannel.Instance));
        _shapes = [.. TContract.Descriptor.Methods.Select(m => table.TryGetHandler(m.WireName, out RpcMethodHandler? h) ? h
            : throw new InvalidOperationException($"The contract {TContract.Descriptor.Name} has no handler for {m.WireName}."))];
    }

    /// <summary>Adds the per-call handlers for one connection (<see cref="SidecarHostBuilder.AddContractHandlers{TContract}"/>).</summary>
    public void AddTo(RpcHandlerTable table, RpcChannel channel)
        => table.AddContractHandlers<TContract>(_shapes.Select(shape =>
        {
            RpcMethodHandler wrapped = shape.Bind(new Wrapper(this, channel));
            return shape.ReportsProgress ? wrapped.WithProgress() : wrapped;
        }));

    // A scope for one call, with the calling connection's channel, and the generated handler of its method for an
    // implementation resolved in it.
    private Delegate Open(string method, RpcChannel channel, out AsyncServiceScope scope)
    {
        scope = _scopes.CreateAsyncScope();
        try
        {
            scope.ServiceProvider.GetRequiredService<SidecarConnection>().Channel = channel;
            var table = new RpcHandlerTable();
            TContract.AddHandlers(table, _resolve(scope.ServiceProvider));
            return table.TryGetHandler(method, out RpcMethodHandler? handler) ? handler.Bind(ImplementationOf.Instance)
                : throw new InvalidOperationException($"No handler for {method}.");
        }
        catch
        {
            scope.Dispose();
            throw;
        }
    }

    private sealed class Wrapper(PerCallHandlers<TContract> owner, RpcChannel channel) : IRpcMethodBinder<RpcMethodHandler>
    {
        public RpcMethodHandler BindUnary<TArgs, TResult, TCodec>(RpcMethodHandler handler, Func<TArgs, CancellationToken, ValueTask<TResult>> implementation)
            where TArgs : struct, IWireArgs<TArgs>
            where TCodec : IWireCodec<TResult>
        {
            string method = handler.Method;
            return RpcMethodHandler.Unary<TArgs, TResult, TCodec>(method, async (args, ct) =>
            {
                var call = (Func<TArgs, CancellationToken, ValueTask<TResult>>)owner.Open(method, channel, out AsyncServiceScope scope);
                await using (scope.ConfigureAwait(false))
                    return await call(args, ct).ConfigureAwait(false);
            });
        }

        public RpcMethodHandler BindStream<TArgs, TItem, TCodec>(RpcMethodHandler handler, Func<TArgs, CancellationToken, IAsyncEnumerable<TItem>> implementation)
            where TArgs : struct, IWireArgs<TArgs>
            where TCodec : IWireCodec<TItem>
        {
            string method = handler.Method;
            return RpcMethodHandler.Stream<TArgs, TItem, TCodec>(method, (args, ct) => Items(method, args, ct));

            async IAsyncEnumerable<TItem> Items(string method, TArgs args, [EnumeratorCancellation] CancellationToken ct)
            {
                var call = (Func<TArgs, CancellationToken, IAsyncEnumerable<TItem>>)owner.Open(method, channel, out AsyncServiceScope scope);
                await using (scope.ConfigureAwait(false))
                {
                    await foreach (TItem item in call(args, ct).WithCancellation(ct).ConfigureAwait(false))
                        yield return item;
                }
            }
        }
        public RpcMethodHandler BindClientStream<TArgs, TInput, TInputCodec, TResult, TCodec>(RpcMethodHandler handler, Func<TArgs, IAsyncEnumerable<TInput>, CancellationToken, ValueTask<TResult>> implementation)
            where TArgs : struct, IWireArgs<TArgs>
            where TInputCodec : IWireCodec<TInput>
            where TCodec : IWireCodec<TResult>
        {
            string method = handler.Method;
            return RpcMethodHandler.ClientStream<TArgs, TInput, TInputCodec, TResult, TCodec>(method, async (args, input, ct) =>
            {
                var call = (Func<TArgs, IAsyncEnumerable<TInput>, CancellationToken, ValueTask<TResult>>)owner.Open(method, channel, out AsyncServiceScope scope);
                await using (scope.ConfigureAwait(false))
                    return await call(args, input, ct).ConfigureAwait(false);
            });
        }

        public RpcMethodHandler BindDuplexStream<TArgs, TInput, TInputCodec, TItem, TCodec>(RpcMethodHandler handler, Func<TArgs, IAsyncEnumerable<TInput>, CancellationToken, IAsyncEnumerable<TItem>> implementation)
            where TArgs : struct, IWireArgs<TArgs>
            where TInputCodec : IWireCodec<TInput>
            where TCodec : IWireCodec<TItem>
        {
            string method = handler.Method;
            return RpcMethodHandler.DuplexStream<TArgs, TInput, TInputCodec, TItem, TCodec>(method, (args, input, ct) => Items(method, args, input, ct));

            async IAsyncEnumerable<TItem> Items(string method, TArgs args, IAsyncEnumerable<TInput> input, [EnumeratorCancellation] CancellationToken ct)
            {
                var call = (Func<TArgs, IAsyncEnumerable<TInput>, CancellationToken, IAsyncEnumerable<TItem>>)owner.Open(method, channel, out AsyncServiceScope scope);
                await using (scope.ConfigureAwait(false))
                {
                    await foreach (TItem item in call(args, input, ct).WithCancellation(ct).ConfigureAwait(false))
                        yield return item;
                }
            }
        }
    }

    /// <summary>A handler's implementation, as the delegate of its types.</summary>
    private sealed class ImplementationOf : IRpcMethodBinder<Delegate>
    {
        public static readonly ImplementationOf Instance = new();

        public Delegate BindUnary<TArgs, TResult, TCodec>(RpcMethodHandler handler, Func<TArgs, CancellationToken, ValueTask<TResult>> implementation)
            where TArgs : struct, IWireArgs<TArgs>
            where TCodec : IWireCodec<TResult> => implementation;

        public Delegate BindStream<TArgs, TItem, TCodec>(RpcMethodHandler handler, Func<TArgs, CancellationToken, IAsyncEnumerable<TItem>> implementation)
            where TArgs : struct, IWireArgs<TArgs>
            where TCodec : IWireCodec<TItem> => implementation;

        public Delegate BindClientStream<TArgs, TInput, TInputCodec, TResult, TCodec>(RpcMethodHandler handler, Func<TArgs, IAsyncEnumerable<TInput>, CancellationToken, ValueTask<TResult>> implementation)
            where TArgs : struct, IWireArgs<TArgs>
            where TInputCodec : IWireCodec<TInput>
            where TCodec : IWireCodec<TResult> => implementation;

        public Delegate BindDuplexStream<TArgs, TInput, TInputCodec, TItem, TCodec>(RpcMethodHandler handler, Func<TArgs, IAsyncEnumerable<TInput>, CancellationToken, IAsyncEnumerable<TItem>> implementation)
            where TArgs : struct, IWireArgs<TArgs>
            where TInputCodec : IWireCodec<TInput>
            where TCodec : IWireCodec<TItem> => implementation;
    }
}

/// <summary>The channel of the shape proxies: never called.</summary>
internal sealed class NoChannel : RpcChannel
{
    public static readonly NoChannel Instance = new();

    public override Task<TResult> InvokeAsync<TArgs, TResult, TCodec>(MethodDescriptor method, TArgs args, RpcCallOptions options, CancellationToken cancellationToken)
        => throw new InvalidOperationException("Not a channel.");

    public override IAsyncEnumerable<TItem> InvokeStreamAsync<TArgs, TItem, TCodec>(MethodDescriptor method, TArgs args, RpcCallOptions options, CancellationToken cancellationToken)
        => throw new InvalidOperationException("Not a channel.");

    public override void Notify<TArgs>(MethodDescriptor method, TArgs args) => throw new InvalidOperationException("Not a channel.");
}
