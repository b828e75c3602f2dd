using System.Text.Json;
using SidecarKit.Rpc;

namespace SidecarKit;

/// <summary>
/// An error reported by the other side of a call: a standard JSON-RPC error (see <see cref="Rpc.RpcErrorCodes"/>)
/// or an application error. Throw it from a contract implementation to send an application error with a code of
/// your choice, a message and optional data; the caller receives the same code, message and data.
/// </summary>
public class SidecarRemoteException : SidecarException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="code">The error code. Application codes should avoid -32768..-32000 except where documented.</param>
    /// <param name="message">A short description for a person.</param>
    /// <param name="errorData">Structured detail, sent as the error's <c>data</c> member (in the transport's own format).</param>
    public SidecarRemoteException(int code, string message, RpcErrorData? errorData = null)
        : this(code, message, errorData, null)
    {
    }

    /// <summary>Creates the exception with details given as JSON.</summary>
    /// <param name="code">The error code. Application codes should avoid -32768..-32000 except where documented.</param>
    /// <param name="message">A short description for a person.</param>
    /// <param name="errorData">Structured detail, sent as the error's <c>data</c> member (converted by a transport whose format is not JSON).</param>
    public SidecarRemoteException(int code, string message, JsonElement errorData)
        : this(code, message, RpcErrorData.FromJson(errorData), null)
    {
    }

    /// <summary>Creates the exception for a failure seen on this side (the connection broke) and reported with a code.</summary>
    /// <param name="code">The error code.</param>
    /// <param name="message">A short description for a person.</param>
    /// <param name="errorData">Structured detail, if any.</param>
    /// <param name="innerException">What failed here; <see langword="null"/> for an error the other side sent.</param>
    public SidecarRemoteException(int code, string message, RpcErrorData? errorData, Exception? innerException)
        : base(message, innerException)
    {
        Code = code;
        ErrorData = errorData;
    }

    /// <summary>The error code.</summary>
    public int Code { get; }

    /// <summary>
    /// The error's <c>data</c> member, if any, as the transport carried it (<see cref="RpcErrorData.Payload"/> in
    /// <see cref="RpcErrorData.Format"/>); <see cref="RpcErrorData.ToJson"/> gives it as JSON whatever the transport.
    /// </summary>
    public RpcErrorData? ErrorData { get; }

    /// <summary>The method that failed, when known (set on the calling side).</summary>
    public string? Method { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"{GetType().FullName}: [{Code}] {Message}{(Method is null ? "" : $" (method {Method})")}{(ErrorData is { } d ? $" data={d}" : "")}";
}
