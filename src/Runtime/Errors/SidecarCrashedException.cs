namespace SidecarKit;

/// <summary>
/// A call could not complete because the sidecar process exited (or closed its output) while the call was in
/// flight, or was made after that.
/// </summary>
public sealed class SidecarCrashedException(string message, int? exitCode, IReadOnlyList<string> stderrTail, Exception? innerException = null)
    : SidecarProcessException(message, exitCode, stderrTail, innerException);
