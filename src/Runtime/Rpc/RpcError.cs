using System.Text.Json;

namespace SidecarKit.Rpc;

/// <summary>
/// The error a failed call answers with, whatever carries it: the code of docs/protocol.md, the message, and the data.
/// How an implementation's exception becomes one is decided here, once, for every transport (JSON-RPC and
/// MessagePack-RPC write it as an error response; gRPC as a status and trailers).
/// </summary>
/// <param name="Code">The error code (<see cref="RpcErrorCodes"/>, or the application's own).</param>
/// <param name="Message">What a person reads.</param>
/// <param name="Data">Details, if any.</param>
public readonly record struct RpcError(int Code, string Message, RpcErrorData? Data)
{
    /// <summary>The message of a request cancelled by the caller or by the sidecar's stop.</summary>
    public const string CancelledMessage = "Request cancelled";

    /// <summary>
    /// The answer to a call whose implementation threw <paramref name="exception"/>. <paramref name="cancelled"/> says
    /// whether this side cancelled the call (the caller asked, or the sidecar is stopping): then an
    /// <see cref="OperationCanceledException"/> is <see cref="RpcErrorCodes.RequestCancelled"/>, not a failure.
    /// A <see cref="SidecarRemoteException"/> keeps its code, message and data; anything else is
    /// <see cref="RpcErrorCodes.InternalError"/> with the exception's type as data (it is worth logging: see
    /// <see cref="IsUnexpected"/>).
    /// </summary>
    public static RpcError FromException(Exception exception, bool cancelled)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            OperationCanceledException when cancelled => new(RpcErrorCodes.RequestCancelled, CancelledMessage, null),
            SidecarRemoteException remote => new(remote.Code, remote.Message, remote.ErrorData),
            _ => new(RpcErrorCodes.InternalError, exception.Message, TypeData(exception)),
        };
    }

    /// <summary>Whether <paramref name="exception"/> is a failure of the implementation (logged), rather than an answer it chose or a cancellation.</summary>
    public static bool IsUnexpected(Exception exception, bool cancelled)
        => !(exception is SidecarRemoteException || (cancelled && exception is OperationCanceledException));

    // {"type": "<the exception's type>"}, in JSON: a transport of another format converts it when it writes it.
    private static RpcErrorData TypeData(Exception e)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("type", e.GetType().FullName);
            w.WriteEndObject();
        }
        return RpcErrorData.FromUtf8Json(buffer.WrittenSpan.ToArray());
    }
}
