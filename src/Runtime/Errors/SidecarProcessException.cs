namespace SidecarKit;

/// <summary>A failure of the sidecar process itself: it carries what a person needs to act, its exit code and last stderr lines.</summary>
public abstract class SidecarProcessException : SidecarException
{
    /// <summary>Creates the exception.</summary>
    protected SidecarProcessException(string message, int? exitCode, IReadOnlyList<string> stderrTail, Exception? innerException)
        : base(message, innerException)
    {
        ExitCode = exitCode;
        StderrTail = stderrTail;
    }

    /// <summary>The process exit code, when it has exited (128 + N for a process killed by signal N on Unix).</summary>
    public int? ExitCode { get; }

    /// <summary>The last lines the sidecar wrote on stderr, oldest first.</summary>
    public IReadOnlyList<string> StderrTail { get; }
}
