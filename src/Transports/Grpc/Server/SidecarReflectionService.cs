using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Reflection;
using Grpc.Reflection.V1Alpha;
using SidecarKit.Transports.Grpc.Proto;

namespace SidecarKit.Transports.Grpc.Server;

/// <summary>
/// Server reflection from the grpc packages (<see cref="ReflectionServiceImpl"/>), fed the descriptors the
/// <c>.proto</c> exporter builds (<see cref="ProtoDescriptors"/>), served as <c>grpc.reflection.v1alpha</c> and, with
/// the same messages, <c>grpc.reflection.v1</c>. Around it, what the package leaves out and grpcurl-like clients rely on
/// (docs/grpc.md): each answer echoes its request and host; <c>all_extension_numbers_of_type</c> of a known message is
/// an empty list (proto3 has no extensions); a request that asks nothing is <c>INVALID_ARGUMENT</c>; errors name what
/// was not found; a request that does not decode ends the stream with <c>INVALID_ARGUMENT</c>; at shutdown an open
/// stream ends with <c>UNAVAILABLE</c> (it is not a call the drain waits for).
/// </summary>
internal sealed class SidecarReflectionService : ServerReflection.ServerReflectionBase
{
    public const string V1 = "grpc.reflection.v1.ServerReflection";

    private readonly Lazy<(ReflectionServiceImpl Impl, HashSet<string> Messages)> _core;   // built on first use: most sidecars never get a request
    private readonly CancellationToken _stopping;

    public SidecarReflectionService(IReadOnlyList<ProtoFileModel> contractFiles, IReadOnlyList<string> services, CancellationToken stopping)
    {
        _stopping = stopping;
        _core = new(() => Build(contractFiles, services));
    }

    private static (ReflectionServiceImpl, HashSet<string>) Build(IReadOnlyList<ProtoFileModel> contractFiles, IReadOnlyList<string> services)
    {
        // Each file after the files it imports: the well-known types first, then the contracts. Health's file is ours too:
        // Grpc.HealthCheck's descriptor calls itself "health.proto", where clients ask for grpc/health/v1/health.proto.
        ProtoFileModel[] ours = [.. ProtoDescriptors.WellKnown, ProtoDescriptors.Health, .. contractFiles];
        IReadOnlyList<FileDescriptor> files = FileDescriptor.BuildFromByteStrings(ours.Select(f => ByteString.CopyFrom(ProtoDescriptors.Encode(f))));
        var messages = new HashSet<string>(StringComparer.Ordinal);
        foreach (ProtoFileModel file in ours)
            foreach (ProtoMessageDecl message in file.Messages) messages.Add(file.Package + "." + message.Name);
        var registry = SymbolRegistry.FromFiles(files);
        return (new ReflectionServiceImpl(services, registry), messages);
    }

    public override async Task ServerReflectionInfo(IAsyncStreamReader<ServerReflectionRequest> requestStream,
        IServerStreamWriter<ServerReflectionResponse> responseStream, ServerCallContext context)
    {
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, _stopping);
        var requests = new Requests(requestStream, reading.Token);
        try
        {
            await _core.Value.Impl.ServerReflectionInfo(requests, new Responses(responseStream, requests, _core.Value.Messages), context).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
        {
            throw GrpcErrors.Status(GrpcStatusCode.Unavailable, "The sidecar is shutting down.");
        }
    }

    private sealed class Requests(IAsyncStreamReader<ServerReflectionRequest> inner, CancellationToken stopping) : IAsyncStreamReader<ServerReflectionRequest>
    {
        public ServerReflectionRequest Current => inner.Current;

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            try
            {
                return await inner.MoveNext(stopping).ConfigureAwait(false);
            }
            catch (InvalidProtocolBufferException e)
            {
                throw GrpcErrors.Status(GrpcStatusCode.InvalidArgument, "Invalid ServerReflectionRequest: " + e.Message, Rpc.RpcErrorCodes.InvalidParams);
            }
        }
    }

    private sealed class Responses(IServerStreamWriter<ServerReflectionResponse> inner, Requests requests, HashSet<string> messages)
        : IServerStreamWriter<ServerReflectionResponse>
    {
        public WriteOptions? WriteOptions { get => inner.WriteOptions; set => inner.WriteOptions = value; }

        public Task WriteAsync(ServerReflectionResponse message) => inner.WriteAsync(Complete(requests.Current, message));

        private ServerReflectionResponse Complete(ServerReflectionRequest request, ServerReflectionResponse response)
        {
            switch (request.MessageRequestCase)
            {
                case ServerReflectionRequest.MessageRequestOneofCase.AllExtensionNumbersOfType when messages.Contains(request.AllExtensionNumbersOfType):
                    response = new ServerReflectionResponse { AllExtensionNumbersResponse = new ExtensionNumberResponse { BaseTypeName = request.AllExtensionNumbersOfType } };
                    break;
                case ServerReflectionRequest.MessageRequestOneofCase.AllExtensionNumbersOfType:
                    response.ErrorResponse = Error(GrpcStatusCode.NotFound, $"No message '{request.AllExtensionNumbersOfType}' here.");
                    break;
                case ServerReflectionRequest.MessageRequestOneofCase.FileContainingExtension:
                    response.ErrorResponse = Error(GrpcStatusCode.NotFound, "These files declare no extensions (proto3).");
                    break;
                case ServerReflectionRequest.MessageRequestOneofCase.FileContainingSymbol when response.ErrorResponse is not null:
                    response.ErrorResponse.ErrorMessage = $"No symbol '{request.FileContainingSymbol}' here.";
                    break;
                case ServerReflectionRequest.MessageRequestOneofCase.FileByFilename when response.ErrorResponse is not null:
                    response.ErrorResponse.ErrorMessage = $"No file '{request.FileByFilename}' here.";
                    break;
                case ServerReflectionRequest.MessageRequestOneofCase.None:
                    response.ErrorResponse = Error(GrpcStatusCode.InvalidArgument, "The request asks for nothing this server knows.");
                    break;
            }
            response.ValidHost = request.Host;
            response.OriginalRequest = request;
            return response;
        }

        private static ErrorResponse Error(GrpcStatusCode code, string message) => new() { ErrorCode = (int)code, ErrorMessage = message };
    }
}
