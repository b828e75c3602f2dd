namespace SidecarKit;

/// <summary>The base of every exception SidecarKit raises for a failed call or a failed sidecar.</summary>
public class SidecarException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SidecarException(string message, Exception? innerException = null) : base(message, innerException) { }
}
