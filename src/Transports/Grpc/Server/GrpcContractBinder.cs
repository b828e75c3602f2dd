using SidecarKit.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using SidecarKit.Rpc;
using SidecarKit.Transports.Grpc.Marshalling;
using SidecarKit.Wire;

namespace SidecarKit.Transports.Grpc.Server;

/// <summary>
/// Adds a contract's methods to a grpc-dotnet service, code-first: each handler hands its types over
/// (<see cref="RpcMethodHandler.Bind{T}"/>), and becomes a <see cref="Method{TRequest, TResponse}"/> at
/// <c>/&lt;package&gt;.&lt;Service&gt;/&lt;Rpc&gt;</c> whose marshallers are the generated protobuf codecs. grpc-dotnet
/// reads, writes, times and compresses the messages; the implementation's exceptions become statuses (<see cref="GrpcErrors"/>).
/// </summary>
/// <typeparam name="TService">The grpc-dotnet service type the methods are added to; its instance is not used.</typeparam>
internal sealed class GrpcContractBinder<[DynamicallyAccessedMembers(GrpcServiceAccess.Members)] TService>(ServiceMethodProviderContext<TService> context, ILogger logger, CancellationToken stopCalls)
    where TService : class
{
    private readonly ServiceMethodProviderContext<TService> _context = context;
    private readonly ILogger _logger = logger;
    private readonly CancellationToken _stopCalls = stopCalls;

    /// <summary>Adds every method of <paramref name="contract"/> that <paramref name="handlers"/> serves.</summary>
    public void AddContract(ContractDescriptor contract, RpcHandlerTable handlers)
    {
        foreach (MethodDescriptor method in contract.Methods)
            if (handlers.TryGetHandler(method.WireName, out RpcMethodHandler? handler))
                handler.Bind(new MethodBinder(this, method));
    }

    private sealed class MethodBinder(GrpcContractBinder<TService> owner, MethodDescriptor descriptor) : IRpcMethodBinder<bool>
    {
        private readonly GrpcContractBinder<TService> owner = owner;
        private readonly MethodDescriptor descriptor = descriptor;

        public bool BindUnary<TArgs, TResult, TCodec>(RpcMethodHandler handler, Func<TArgs, CancellationToken, ValueTask<TResult>> implementation)
            where TArgs : struct, IWireArgs<TArgs>
            where TCodec : IWireCodec<TResult>
        {
            Method<GrpcRequest<TArgs>, GrpcResponse<TResult>> method = Method<TArgs, TResult, TCodec>();
            owner._context.AddUnaryMethod(method, [], async (_, args, call) =>
            {
                using var served = new ServedCall(this, call);
                CancellationToken cancellationToken = served.Token;
                try
                {
                    TResult result = await implementation(args.Args, cancellationToken).ConfigureAwait(false);
                    served.Succeeded();
                    return typeof(TResult) == typeof(VoidResult) ? GrpcResponse<TResult>.Default : new GrpcResponse<TResult>(result);
                }
                catch (Exception e)
                {
                    throw served.Failed(e);
                }
            });
            return true;
        }

        public bool BindStream<TArgs, TItem, TCodec>(RpcMethodHandler handler, Func<TArgs, CancellationToken, IAsyncEnumerable<TItem>> implementation)
            where TArgs : struct, IWireArgs<TArgs>
            where TCodec : IWireCodec<TItem>
        {
            Method<GrpcRequest<TArgs>, GrpcResponse<TItem>> method = Method<TArgs, TItem, TCodec>();
            owner._context.AddServerStreamingMethod(method, [], async (_, args, stream, call) =>
            {
                using var served = new ServedCall(this, call);
                CancellationToken cancellationToken = served.Token;
                try
                {
                    // Each write waits for HTTP/2 flow control: a client that reads slowly slows the stream down.
                    await foreach (TItem item in implementation(args.Args, cancellationToken).WithCancellation(cancellationToken).ConfigureAwait(false))
                        await stream.WriteAsync(new GrpcResponse<TItem>(item), cancellationToken).ConfigureAwait(false);
                    served.Succeeded();
                }
                catch (Exception e)
                {
                    throw served.Failed(e);
                }
            });
            return true;
        }

        public bool BindClientStream<TArgs, TInput, TInputCodec, TResult, TCodec>(RpcMethodHandler handler, Func<TArgs, IAsyncEnumerable<TInput>, CancellationToken, ValueTask<TResult>> implementation)
            where TArgs : struct, IWireArgs<TArgs>
            where TInputCodec : IWireCodec<TInput>
            where TCodec : IWireCodec<TResult>
        {
            Method<GrpcInputMessage<TArgs, TInput>, GrpcResponse<TResult>> method = InputMethod<TArgs, TInput, TInputCodec, TResult, TCodec>();
            string name = descriptor.WireName;
            owner._context.AddClientStreamingMethod(method, [], async (_, requests, call) =>
            {
                using var served = new ServedCall(this, call);
                CancellationToken cancellationToken = served.Token;
                try
                {
                    (TArgs args, IAsyncEnumerable<TInput> input) = await GrpcInputReader.OpenAsync(requests, name, cancellationToken).ConfigureAwait(false);
                    TResult result = await implementation(args, input, cancellationToken).ConfigureAwait(false);
                    served.Succeeded();
                    return typeof(TResult) == typeof(VoidResult) ? GrpcResponse<TResult>.Default : new GrpcResponse<TResult>(result);
                }
                catch (Exception e)
                {
                    throw served.Failed(e);
                }
            });
            return true;
        }

        public bool BindDuplexStream<TArgs, TInput, TInputCodec, TItem, TCodec>(RpcMethodHandler handler, Func<TArgs, IAsyncEnumerable<TInput>, CancellationToken, IAsyncEnumerable<TItem>> implementation)
            where TArgs : struct, IWireArgs<TArgs>
            where TInputCodec : IWireCodec<TInput>
            where TCodec : IWireCodec<TItem>
        {
            Method<GrpcInputMessage<TArgs, TInput>, GrpcResponse<TItem>> method = InputMethod<TArgs, TInput, TInputCodec, TItem, TCodec>();
            string name = descriptor.WireName;
            owner._context.AddDuplexStreamingMethod(method, [], async (_, requests, stream, call) =>
            {
                using var served = new ServedCall(this, call);
                CancellationToken cancellationToken = served.Token;
                try
                {
                    (TArgs args, IAsyncEnumerable<TInput> input) = await GrpcInputReader.OpenAsync(requests, name, cancellationToken).ConfigureAwait(false);
                    await foreach (TItem item in implementation(args, input, cancellationToken).WithCancellation(cancellationToken).ConfigureAwait(false))
                        await stream.WriteAsync(new GrpcResponse<TItem>(item), cancellationToken).ConfigureAwait(false);
                    served.Succeeded();
                }
                catch (Exception e)
                {
                    throw served.Failed(e);
                }
            });
            return true;
        }

        private Method<GrpcInputMessage<TArgs, TInput>, GrpcResponse<TResult>> InputMethod<TArgs, TInput, TInputCodec, TResult, TCodec>()
            where TArgs : struct, IWireArgs<TArgs>
            where TInputCodec : IWireCodec<TInput>
            where TCodec : IWireCodec<TResult>
            => WithInvalidParams(GrpcMarshallers.GetInputMethod<TArgs, TInput, TInputCodec, TResult, TCodec>(descriptor));

        /// <summary>
        /// One served call's scaffolding, the same for the four shapes: the call's token linked with the server's drain,
        /// the server span, and the implementation's exceptions as statuses. A struct: it adds no allocation to a call.
        /// </summary>
        private readonly struct ServedCall : IDisposable
        {
            private readonly MethodBinder _binder;
            private readonly ServerCallContext _call;
            private readonly CancellationTokenSource? _linked;
            private readonly CallTelemetry? _telemetry;

            public ServedCall(MethodBinder binder, ServerCallContext call)
            {
                _binder = binder;
                _call = call;
                _linked = Link(call.CancellationToken, binder.owner._stopCalls, out CancellationToken token);
                Token = token;
                _telemetry = StartTelemetry(binder.descriptor.WireName, call);
            }

            /// <summary>The implementation's token: the call's, and the server's drain when it has one.</summary>
            public CancellationToken Token { get; }

            public void Succeeded() => _telemetry?.Stop(null);

            public Exception Failed(Exception e)
            {
                _telemetry?.Stop(e);
                return GrpcErrors.ToRpcException(e, _call, _binder.owner._stopCalls, _binder.descriptor.WireName, _binder.owner._logger);
            }

            public void Dispose() => _linked?.Dispose();
        }

        // The server span: the child of ASP.NET Core's request activity when it made one, else of the traceparent header.
        private static CallTelemetry? StartTelemetry(string method, ServerCallContext call)
        {
            if (!SidecarTelemetry.Enabled) return null;
            RpcTraceContext received = System.Diagnostics.Activity.Current is not null
                ? default
                : new(call.RequestHeaders.GetValue("traceparent"), call.RequestHeaders.GetValue("tracestate"));
            return CallTelemetry.StartServer(method, "grpc", received);
        }

        private Method<GrpcRequest<TArgs>, GrpcResponse<TResult>> Method<TArgs, TResult, TCodec>()
            where TArgs : struct, IWireArgs<TArgs>
            where TCodec : IWireCodec<TResult>
            => WithInvalidParams(GrpcMarshallers.GetMethod<TArgs, TResult, TCodec>(descriptor));

        // The method's name in the answer to a request that does not decode.
        private Method<TRequest, TResponse> WithInvalidParams<TRequest, TResponse>(Method<TRequest, TResponse> shared)
            where TRequest : class
            where TResponse : class
        {
            string name = descriptor.WireName;
            Marshaller<TRequest> request = GrpcErrors.WithDecodeErrorsAs(shared.RequestMarshaller, e => GrpcErrors.InvalidParams(name, e));
            return new Method<TRequest, TResponse>(shared.Type, shared.ServiceName, shared.Name, request, shared.ResponseMarshaller);
        }
    }

    // The call's token alone when the server has no drain of its own (an app that maps a contract), else both.
    private static CancellationTokenSource? Link(CancellationToken call, CancellationToken stopCalls, out CancellationToken token)
    {
        if (!stopCalls.CanBeCanceled)
        {
            token = call;
            return null;
        }
        var linked = CancellationTokenSource.CreateLinkedTokenSource(call, stopCalls);
        token = linked.Token;
        return linked;
    }
}
