namespace SidecarKit;

/// <summary>A sidecar failed to start: it could not be spawned, exited before it was ready, or was not ready in time.</summary>
public sealed class SidecarStartException(string message, int? exitCode, IReadOnlyList<string> stderrTail, Exception? innerException = null)
    : SidecarProcessException(message, exitCode, stderrTail, innerException);
