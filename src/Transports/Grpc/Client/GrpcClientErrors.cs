using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using SidecarKit.Rpc;
using SidecarKit.Wire;

namespace SidecarKit.Transports.Grpc;

/// <summary>
/// grpc-dotnet's failures as this toolkit's exceptions (docs/grpc.md, "Statuses and errors"): a status becomes a
/// <see cref="GrpcStatusException"/> with the code and data of the <c>sidecar-error-code</c> and
/// <c>sidecar-error-data-bin</c> trailers (or the code of its status, from a server of another implementation).
/// </summary>
internal static class GrpcClientErrors
{
    /// <summary>
    /// The exception for a call's status. A failure the client saw itself (the connection broke: grpc-dotnet puts what
    /// broke in <see cref="Status.DebugException"/>) keeps <paramref name="e"/> as its inner exception, which tells it
    /// from the sidecar's own answers (a process-bound channel explains such failures by the process's exit).
    /// </summary>
    public static GrpcStatusException FromStatus(RpcException e, string? method)
    {
        var status = (GrpcStatusCode)(int)e.StatusCode;
        Exception? local = e.Status.DebugException;
        if (local is not null && IsConnectionLoss(local))
            return new GrpcStatusException(GrpcStatusCode.Unavailable, RpcErrorCodes.ShuttingDown,
                $"The call{Of(method)} failed: the sidecar cannot be reached or closed the connection ({Innermost(local).Message}).", null, e) { Method = method };
        Metadata trailers = e.Trailers;
        int code = int.TryParse(trailers.GetValue(GrpcProtocol.ErrorCodeTrailer), out int parsed) ? parsed : GrpcProtocol.CodeOf(status);
        // Kept as the trailer's JSON bytes, not parsed here: RpcErrorData.ToJson reports malformed ones to whoever asks.
        RpcErrorData? data = trailers.GetValueBytes(GrpcProtocol.ErrorDataTrailer) is { Length: > 0 } json ? RpcErrorData.FromUtf8Json(json) : null;
        string message = e.Status.Detail is { Length: > 0 } detail ? detail : status.ToString();
        return new GrpcStatusException(status, code, message, data, local is null ? null : e) { Method = method };
    }

    /// <summary>The codec's failure to read or write a message (grpc-dotnet wraps what a marshaller threw), if that is what <paramref name="e"/> is.</summary>
    public static Exception? CodecFailure(Exception e)
    {
        for (Exception? current = e; current is not null; current = current.InnerException)
            if (current is WireFormatException or FormatException or OverflowException or DecoderFallbackException) return current;
        return e is RpcException r && r.Status.DebugException is { } debug ? CodecFailure(debug) : null;
    }

    /// <summary>Whether <paramref name="e"/> (a status's <see cref="Status.DebugException"/>) says the connection failed, rather than the server answering.</summary>
    internal static bool IsConnectionLoss(Exception e)
    {
        for (Exception? current = e; current is not null; current = current.InnerException)
            if (current is HttpRequestException or IOException or SocketException) return true;
        return false;
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }

    private static string Of(string? method) => method is null ? "" : " to '" + method + "'";
}
