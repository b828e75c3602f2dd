namespace SidecarKit.Processes;

/// <summary>
/// A command run beside a sidecar: the one that prepares it before it starts (<see cref="SidecarProcessOptions.Prepare"/>:
/// <c>npm ci</c>, <c>mix deps.get</c>, a build) or the one that stops it (<see cref="SidecarStop.Command"/>). Run without a
/// shell, with the sidecar's environment (<see cref="SidecarProcessOptions.Environment"/>, <c>${VAR}</c> expanded) and
/// working directory unless it sets its own; its output is logged line by line and its last lines kept for errors.
/// </summary>
public sealed class SidecarCommand
{
    /// <summary>Creates the command.</summary>
    /// <param name="fileName">The program: a path, or a name looked up on <c>PATH</c>.</param>
    /// <param name="arguments">Its arguments, passed as they are.</param>
    public SidecarCommand(string fileName, params string[] arguments)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        FileName = fileName;
        foreach (string argument in arguments) Arguments.Add(argument);
    }

    /// <summary>The program.</summary>
    public string FileName { get; }

    /// <summary>Its arguments.</summary>
    public IList<string> Arguments { get; } = new List<string>();

    /// <summary>Its working directory. Default: the sidecar's.</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>How long it may run before it is killed and counts as failed. Default 5 minutes (a prepare step may build).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <inheritdoc />
    public override string ToString() => Arguments.Count == 0 ? FileName : FileName + " " + string.Join(" ", Arguments);
}
