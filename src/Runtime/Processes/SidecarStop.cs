namespace SidecarKit.Processes;

/// <summary>
/// The first step of a graceful stop, for a program that does not speak SidecarKit's protocol (or one whose own way of
/// stopping should be used instead of <c>system.shutdown</c>): a signal, closing its stdin, or a command. After it the
/// sidecar has <see cref="SidecarProcessOptions.ShutdownTimeout"/> to exit before its process tree is killed.
/// </summary>
public sealed class SidecarStop
{
    private SidecarStop(SidecarStopKind kind, int signal, SidecarCommand? command)
    {
        Kind = kind;
        SignalNumber = signal;
        StopCommand = command;
    }

    /// <summary>SIGTERM (the default for a plain program).</summary>
    public static SidecarStop Terminate { get; } = new(SidecarStopKind.Signal, 15, null);

    /// <summary>SIGINT, what Ctrl+C sends (for programs that stop cleanly only on it).</summary>
    public static SidecarStop Interrupt { get; } = new(SidecarStopKind.Signal, 2, null);

    /// <summary>Closes the program's stdin (for programs that exit at end of input).</summary>
    public static SidecarStop CloseStandardInput { get; } = new(SidecarStopKind.CloseStandardInput, 0, null);

    /// <summary>Sends the POSIX signal <paramref name="signal"/> (1..31; on Windows any signal kills the process tree).</summary>
    public static SidecarStop Signal(int signal)
    {
        if (signal is < 1 or > 31) throw new ArgumentOutOfRangeException(nameof(signal), signal, "A POSIX signal number is 1..31.");
        return new SidecarStop(SidecarStopKind.Signal, signal, null);
    }

    /// <summary>
    /// Runs <paramref name="command"/> (for example <c>ollama stop</c>, or a script that asks the program to stop), with
    /// the sidecar's pid in the environment variable <c>SIDECAR_PID</c>. Its own timeout is the grace period.
    /// </summary>
    public static SidecarStop Command(SidecarCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return new SidecarStop(SidecarStopKind.Command, 0, command);
    }

    /// <summary>Which kind of step this is.</summary>
    public SidecarStopKind Kind { get; }

    /// <summary>The signal, for <see cref="SidecarStopKind.Signal"/>.</summary>
    public int SignalNumber { get; }

    /// <summary>The command, for <see cref="SidecarStopKind.Command"/>.</summary>
    public SidecarCommand? StopCommand { get; }

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        SidecarStopKind.Signal => SignalNumber switch { 15 => "SIGTERM", 2 => "SIGINT", 1 => "SIGHUP", 3 => "SIGQUIT", 9 => "SIGKILL", _ => $"signal {SignalNumber}" },
        SidecarStopKind.CloseStandardInput => "closing stdin",
        _ => $"the command {StopCommand}",
    };
}

/// <summary>The kinds of <see cref="SidecarStop"/>.</summary>
public enum SidecarStopKind
{
    /// <summary>A POSIX signal.</summary>
    Signal,

    /// <summary>Closing the program's stdin.</summary>
    CloseStandardInput,

    /// <summary>A command run beside it.</summary>
    Command,
}
