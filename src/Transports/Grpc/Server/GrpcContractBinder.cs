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
        public bool BindUnary<TArgs, TResult, TCodec>(RpcMethodHandler handler, Func<TArgs, CancellationToken, ValueTask<TResult>> implementation)
            where TArgs : struct, IWireArgs<TArgs>
            where TCodec : IWireCodec<TResult>
        {
            Method<GrpcRequest<TArgs>, GrpcResponse<TResult>> method = Method<TArgs, TResult, TCodec>();
            ILogger logger = owner._logger;
            CancellationToken stopCalls = owner._stopCalls;
            string name = descriptor.WireName;
            owner._context.AddUnaryMethod(method, [], async (_, args, call) =>
            {
                using CancellationTokenSource? linked = Link(call.CancellationToken, stopCalls, out CancellationToken cancellationToken);
                CallTelemetry? telemetry = StartTelemetry(name, call);
                try
                {
                    TResult result = await implementation(args.Args, cancellationToken).ConfigureAwait(false);
                    telemetry?.Stop(null);
                    return typeof(TResult) == typeof(VoidResult) ? GrpcResponse<TResult>.Default : new GrpcResponse<TResult>(result);
                }
                catch (Exception e)
                {
                    telemetry?.Stop(e);
                    throw GrpcErrors.ToRpcException(e, call, stopCalls, name, logger);
                }
            });
            return true;
        }

        public bool BindStream<TArgs, TItem, TCodec>(RpcMethodHandler handler, Func<TArgs, CancellationToken, IAsyncEnumerable<TItem>> implementation)
            where TArgs : struct, IWireArgs<TArgs>
            where TCodec : IWireCodec<TItem>
        {
            Method<GrpcRequest<TArgs>, GrpcResponse<TItem>> method = Method<TArgs, TItem, TCodec>();
            ILogger logger = owner._logger;
            CancellationToken stopCalls = owner._stopCalls;
            string name = descriptor.WireName;
            owner._context.AddServerStreamingMethod(method, [], async (_, args, stream, call) =>
            {
                using CancellationTokenSource? linked = Link(call.CancellationToken, stopCalls, out CancellationToken cancellationToken);
                CallTelemetry? telemetry = StartTelemetry(name, call);
                try
                {
                    // Each write waits for HTTP/2 flow control: a client that reads slowly slows the stream down.
                    await foreach (TItem item in implementation(args.Args, cancellationToken).WithCancellation(cancellationToken).ConfigureAwait(false))
                        await stream.WriteAsync(new GrpcResponse<TItem>(item), cancellationToken).ConfigureAwait(false);
                    telemetry?.Stop(null);
                }
                catch (Exception e)
                {
                    telemetry?.Stop(e);
                    throw GrpcErrors.ToRpcException(e, call, stopCalls, name, logger);
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
            ILogger logger = owner._logger;
            CancellationToken stopCalls = owner._stopCalls;
            string name = descriptor.WireName;
            owner._context.AddClientStreamingMethod(method, [], async (_, requests, call) =>
            {
                using CancellationTokenSource? linked = Link(call.CancellationToken, stopCalls, out CancellationToken cancellationToken);
                CallTelemetry? telemetry = StartTelemetry(name, call);
                try
                {
                    (TArgs args, IAsyncEnumerable<TInput> input) = await GrpcInputReader.OpenAsync(requests, name, cancellationToken).ConfigureAwait(false);
                    TResult result = await implementation(args, input, cancellationToken).ConfigureAwait(false);
                    telemetry?.Stop(null);
                    return typeof(TResult) == typeof(VoidResult) ? GrpcResponse<TResult>.Default : new GrpcResponse<TResult>(result);
                }
                catch (Exception e)
                {
                    telemetry?.Stop(e);
                    throw GrpcErrors.ToRpcException(e, call, stopCalls, name, logger);
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
            ILogger logger = owner._logger;
            CancellationToken stopCalls = owner._stopCalls;
            string name = descriptor.WireName;
            owner._context.AddDuplexStreamingMethod(method, [], async (_, requests, stream, call) =>
            {
                using CancellationTokenSource? linked = Link(call.CancellationToken, stopCalls, out CancellationToken cancellationToken);
                CallTelemetry? telemetry = StartTelemetry(name, call);
                try
                {
                    (TArgs args, IAsyncEnumerable<TInput> input) = await GrpcInputReader.OpenAsync(requests, name, cancellationToken).ConfigureAwait(false);
                    await foreach (TItem item in implementation(args, input, cancellationToken).WithCancellation(cancellationToken).ConfigureAwait(false))
                        await stream.WriteAsync(new GrpcResponse<TItem>(item), cancellationToken).ConfigureAwait(false);
                    telemetry?.Stop(null);
                }
                catch (Exception e)
                {
                    telemetry?.Stop(e);
                    throw GrpcErrors.ToRpcException(e, call, stopCalls, name, logger);
                }
            });
            return true;
        }

        private Method<GrpcInputMessage<TArgs, TInput>, GrpcResponse<TResult>> InputMethod<TArgs, TInput, TInputCodec, TResult, TCodec>()
            where TArgs : struct, IWireArgs<TArgs>
            where TInputCodec : IWireCodec<TInput>
            where TCodec : IWireCodec<TResult>
        {
            Method<GrpcInputMessage<TArgs, TInput>, GrpcResponse<TResult>> shared = GrpcMarshallers.GetInputMethod<TArgs, TInput, TInputCodec, TResult, TCodec>(descriptor);
            string name = descriptor.WireName;
            Marshaller<GrpcInputMessage<TArgs, TInput>> request = GrpcErrors.WithDecodeErrorsAs(shared.RequestMarshaller, e => GrpcErrors.InvalidParams(name, e));
            return new Method<GrpcInputMessage<TArgs, TInput>, GrpcResponse<TResult>>(shared.Type, shared.ServiceName, shared.Name, request, shared.ResponseMarshaller);
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
        {
            Method<GrpcRequest<TArgs>, GrpcResponse<TResult>> shared = GrpcMarshallers.GetMethod<TArgs, TResult, TCodec>(descriptor);
            string name = descriptor.WireName;
            // The method's name in the answer to arguments that do not decode.
            Marshaller<GrpcRequest<TArgs>> request = GrpcErrors.WithDecodeErrorsAs(shared.RequestMarshaller, e => GrpcErrors.InvalidParams(name, e));
            return new Method<GrpcRequest<TArgs>, GrpcResponse<TResult>>(shared.Type, shared.ServiceName, shared.Name, request, shared.ResponseMarshaller);
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
