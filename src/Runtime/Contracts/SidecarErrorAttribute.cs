namespace SidecarKit;

/// <summary>
/// Declares an application error a contract method may answer (a <see cref="SidecarRemoteException"/> with this code):
/// on a method, for that method; on a contract interface, for each of its methods. Declared errors are listed in the
/// method's <see cref="MethodDescriptor.Errors"/>, in the OpenRPC description (<c>--describe openrpc</c>) and in the
/// stubs generated from it; they are documentation for callers, not part of the wire shape or the fingerprint.
/// </summary>
/// <param name="code">The error code (not one of the protocol's own, docs/protocol.md section 8).</param>
/// <param name="message">What the error means, as the sidecar's message says it (<c>"division by zero"</c>).</param>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Interface, AllowMultiple = true, Inherited = false)]
public sealed class SidecarErrorAttribute(int code, string message) : Attribute
{
    /// <summary>The error code.</summary>
    public int Code { get; } = code;

    /// <summary>What the error means.</summary>
    public string Message { get; } = message;
}

/// <summary>An application error a method declares with <see cref="SidecarErrorAttribute"/>.</summary>
/// <param name="Code">The error code.</param>
/// <param name="Message">What the error means.</param>
public sealed record SidecarErrorInfo(int Code, string Message);
