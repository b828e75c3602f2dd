namespace SidecarKit;

/// <summary>
/// A call could not complete because the sidecar process exited (or its connection closed) while the call was in
/// flight. Carries the exit code and the last lines the sidecar wrote on stderr.
/// </summary>
public sealed class SidecarCrashedException : SidecarException
{
    /// <summary>Creates the exception.</summary>
    public SidecarCrashedException(string message, int? exitCode, IReadOnlyList<string> stderrTail, Exception? innerException = null)
        : base(message, innerException)
    {
        ExitCode = exitCode;
        StderrTail = stderrTail;
    }

    /// <summary>The process exit code, when the process has exited (128 + N for a process killed by signal N on Unix).</summary>
    public int? ExitCode { get; }

    /// <summary>The last lines of the sidecar's stderr, oldest first.</summary>
    public IReadOnlyList<string> StderrTail { get; }
}
