using SidecarKit.Rpc;

namespace SidecarKit.Transports.Grpc;

/// <summary>
/// A call over gRPC that ended with a status other than OK. It is a <see cref="SidecarRemoteException"/> with the same
/// <see cref="SidecarRemoteException.Code"/>, message and data as on the other transports (carried in the
/// <c>sidecar-error-code</c> and <c>sidecar-error-data-bin</c> trailers, or derived from the status when a server of
/// another implementation sent none), and also tells the gRPC <see cref="Status"/>.
/// </summary>
public sealed class GrpcStatusException : SidecarRemoteException
{
    /// <summary>Creates the exception.</summary>
    public GrpcStatusException(GrpcStatusCode status, int code, string message, RpcErrorData? errorData = null)
        : this(status, code, message, errorData, null)
    {
    }

    /// <summary>Creates the exception for a failure seen on this side (the connection broke), with what failed.</summary>
    public GrpcStatusException(GrpcStatusCode status, int code, string message, RpcErrorData? errorData, Exception? innerException)
        : base(code, message, errorData, innerException)
    {
        Status = status;
    }

    /// <summary>The call's gRPC status.</summary>
    public GrpcStatusCode Status { get; }
}
