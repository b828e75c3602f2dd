namespace SidecarKit.Transports.Grpc;

/// <summary>The gRPC status codes (<c>grpc-status</c>), as the gRPC specification numbers them.</summary>
public enum GrpcStatusCode
{
    /// <summary>Success.</summary>
    OK = 0,
    /// <summary>The call was cancelled, typically by the caller.</summary>
    Cancelled = 1,
    /// <summary>An error without more specific information (application errors raised by a contract implementation).</summary>
    Unknown = 2,
    /// <summary>The arguments are invalid (do not decode, or do not fit the method).</summary>
    InvalidArgument = 3,
    /// <summary>The deadline (<c>grpc-timeout</c>) expired before the call completed.</summary>
    DeadlineExceeded = 4,
    /// <summary>Something requested was not found (a health check of an unknown service).</summary>
    NotFound = 5,
    /// <summary>What a call tried to create already exists.</summary>
    AlreadyExists = 6,
    /// <summary>The caller is not allowed to do this.</summary>
    PermissionDenied = 7,
    /// <summary>A limit was hit: a message larger than allowed, or too many calls.</summary>
    ResourceExhausted = 8,
    /// <summary>The system is not in a state the call needs.</summary>
    FailedPrecondition = 9,
    /// <summary>The call was aborted.</summary>
    Aborted = 10,
    /// <summary>A value is out of range.</summary>
    OutOfRange = 11,
    /// <summary>The service or method is not served, or an encoding is not supported.</summary>
    Unimplemented = 12,
    /// <summary>An internal error: the protocol was broken, or an implementation failed unexpectedly.</summary>
    Internal = 13,
    /// <summary>The server cannot be reached or is shutting down.</summary>
    Unavailable = 14,
    /// <summary>Data was lost or corrupted.</summary>
    DataLoss = 15,
    /// <summary>The call lacks valid credentials (<c>authorization: Bearer &lt;SIDECAR_TOKEN&gt;</c>).</summary>
    Unauthenticated = 16,
}
