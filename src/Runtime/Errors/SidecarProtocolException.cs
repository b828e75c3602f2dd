namespace SidecarKit;

/// <summary>A message from the other side could not be understood (for example a result of the wrong type).</summary>
public sealed class SidecarProtocolException : SidecarException
{
    /// <summary>Creates the exception.</summary>
    public SidecarProtocolException(string message, Exception? innerException = null) : base(message, innerException) { }
}
