namespace SidecarKit;

/// <summary>A sidecar failed to start: it could not be spawned, exited before it was ready, or was not ready in time.</summary>
public sealed class SidecarStartException : SidecarException
{
    /// <summary>Creates the exception.</summary>
    public SidecarStartException(string message, int? exitCode, IReadOnlyList<string> stderrTail, Exception? innerException = null)
        : base(message, innerException)
    {
        ExitCode = exitCode;
        StderrTail = stderrTail;
    }

    /// <summary>The exit code when the process exited before it became ready.</summary>
    public int? ExitCode { get; }

    /// <summary>The last lines of the sidecar's stderr, oldest first.</summary>
    public IReadOnlyList<string> StderrTail { get; }
}
