namespace SidecarKit;

/// <summary>A call did not complete within its timeout. The remote side was sent a cancellation.</summary>
public sealed class SidecarTimeoutException : TimeoutException
{
    /// <summary>Creates the exception.</summary>
    public SidecarTimeoutException(string method, TimeSpan timeout)
        : base($"The call to '{method}' did not complete within {timeout.TotalMilliseconds:0} ms.")
    {
        Method = method;
        Timeout = timeout;
    }

    /// <summary>The method that timed out.</summary>
    public string Method { get; }

    /// <summary>The timeout that elapsed.</summary>
    public TimeSpan Timeout { get; }
}
