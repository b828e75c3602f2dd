using System.Globalization;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using SidecarKit.Rpc;

namespace SidecarKit.Transports.Grpc.Server;

/// <summary>
/// How a failed call ends on grpc-dotnet: an <see cref="RpcException"/> with the status of docs/grpc.md's table, the
/// message, and the <c>sidecar-error-code</c> / <c>sidecar-error-data-bin</c> trailers that let the C# client rebuild
/// the same exception as on the other transports. grpc-dotnet writes the status and trailers.
/// </summary>
internal static class GrpcErrors
{
    /// <summary>A status with the toolkit's code (and data) as trailers.</summary>
    public static RpcException Status(GrpcStatusCode status, string message, int? code = null, RpcErrorData? data = null)
    {
        var trailers = new Metadata();
        if (code is { } c) trailers.Add(GrpcProtocol.ErrorCodeTrailer, c.ToString(CultureInfo.InvariantCulture));
        if (ErrorDataJson(data) is { } json) trailers.Add(GrpcProtocol.ErrorDataTrailer, json);
        return new RpcException(new global::Grpc.Core.Status((StatusCode)status, message), trailers);
    }

    /// <summary>
    /// The trailer's bytes: UTF-8 JSON, as it is when the data is JSON, converted once when it is not; null when there is
    /// no data or it has no JSON form (the error still goes, without it).
    /// </summary>
    public static byte[]? ErrorDataJson(RpcErrorData? data)
    {
        if (data is null) return null;
        if (data.Format == RpcDataFormat.Json) return data.Payload.ToArray();
        try
        {
            return Encoding.UTF8.GetBytes(data.ToJson().GetRawText());
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    /// <summary>Arguments that do not decode: <c>INVALID_ARGUMENT</c>, -32602.</summary>
    public static RpcException InvalidParams(string method, Exception e)
        => Status(GrpcStatusCode.InvalidArgument, $"Invalid params for '{method}': {e.Message}", RpcErrorCodes.InvalidParams);

    /// <summary>Whether <paramref name="e"/> is what a codec throws for bytes that do not fit.</summary>
    public static bool IsDecodeError(Exception e) => e is Wire.WireFormatException or FormatException or OverflowException or InvalidOperationException;

    /// <summary>
    /// <paramref name="marshaller"/> whose decode failures end the call with <paramref name="status"/> (an
    /// <c>INVALID_ARGUMENT</c>); grpc-dotnet would answer the codec's own exception with <c>UNKNOWN</c>.
    /// </summary>
    public static Marshaller<T> WithDecodeErrorsAs<T>(Marshaller<T> marshaller, Func<Exception, RpcException> status)
        => new(marshaller.ContextualSerializer, context =>
        {
            try
            {
                return marshaller.ContextualDeserializer(context);
            }
            catch (Exception e) when (IsDecodeError(e))
            {
                throw status(e);
            }
        });

    /// <summary>
    /// The status an implementation's exception ends its call with. <paramref name="stopCalls"/> is the server's "the
    /// drain is over" token; the call's own cancellation (the client reset the stream, the deadline passed) is left to
    /// grpc-dotnet, which answers nobody or <c>DEADLINE_EXCEEDED</c>.
    /// </summary>
    public static Exception ToRpcException(Exception e, ServerCallContext context, CancellationToken stopCalls, string method, ILogger logger)
    {
        switch (e)
        {
            case RpcException:
            case OperationCanceledException when context.CancellationToken.IsCancellationRequested:
                return e;
            case GrpcStatusException s:
                return Status(s.Status, s.Message, s.Code, s.ErrorData);
        }
        // The rest as on the other transports (the engine's one mapping): a request cut by the shutdown is
        // "cancelled" (-32800), an application error keeps its code and data, anything else is an internal error.
        bool cancelled = stopCalls.IsCancellationRequested;
        if (RpcError.IsUnexpected(e, cancelled)) logger.LogError(e, "'{Method}' failed.", method);
        RpcError error = RpcError.FromException(e, cancelled);
        return Status(GrpcProtocol.StatusOf(error.Code), error.Message, error.Code, error.Data);
    }
}
