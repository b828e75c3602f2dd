namespace SidecarKit;

/// <summary>A sidecar failed to start: it could not be spawned, exited before it was ready, or was not ready in time.</summary>
public sealed class SidecarStartException(string message, int? exitCode, IReadOnlyList<string> stderrTail, Exception? innerException = null)
    : SidecarProcessException(message, exitCode, stderrTail, innerException)
{
    /// <summary>
    /// Whether it failed before any process was spawned (the program was not found, a variable is unset, …): the
    /// options are wrong, so trying again cannot help and a supervisor fails at once instead of restarting.
    /// </summary>
    public bool BeforeSpawn { get; init; }

    /// <summary>
    /// Whether the sidecar started but disagrees with this program (another transport or protocol version, a callback
    /// contract this program does not serve or serves incompatibly): a supervisor fails at once instead of restarting,
    /// because another start of the same build cannot agree either.
    /// </summary>
    public bool Incompatible { get; init; }
}
