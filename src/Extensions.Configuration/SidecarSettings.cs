namespace SidecarKit.Configuration;

// The configuration model: what one sidecar's section of IConfiguration binds to (the binder's source generator fills
// these). Every value is optional and nullable: absent means "the runtime's default" (SidecarProcessOptions,
// SidecarRestartOptions, SidecarHealthCheckOptions), so the defaults are documented once, there and in
// docs/lifecycle.md. SidecarConfiguration validates these and translates them into SidecarSupervisorOptions.

/// <summary>
/// One sidecar declared in configuration: the section <c>Sidecars:&lt;name&gt;</c>. Absent values keep the runtime's
/// defaults. TimeSpans are written the way the configuration binder reads them: <c>00:00:05</c> is five seconds (a bare
/// <c>5</c> would be five days).
/// </summary>
public sealed class SidecarSettings
{
    /// <summary>
    /// The program to run: a path, or a name resolved through <see cref="CommandVariable"/> and then <c>PATH</c>. No
    /// shell. Required unless <see cref="Candidates"/> is given. May refer to the parent's variables as <c>${NAME}</c>.
    /// </summary>
    public string? Command { get; set; }

    /// <summary>The program's arguments, passed as they are (no shell quoting); <c>${NAME}</c> is expanded.</summary>
    public IList<string> Args { get; set; } = new List<string>();

    /// <summary>Programs tried in order when <see cref="Command"/> is absent; the first found runs with <see cref="Args"/>.</summary>
    public IList<string> Candidates { get; set; } = new List<string>();

    /// <summary>An environment variable that, when set, holds the program's path (it wins over <c>PATH</c>). Default: none.</summary>
    public string? CommandVariable { get; set; }

    /// <summary>Environment variables set for the sidecar on top of the inherited ones; values may refer to the parent's as <c>${NAME}</c>.</summary>
    public IDictionary<string, string> Env { get; set; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Whether the sidecar starts with the parent's environment. Default <see langword="true"/>.</summary>
    public bool? InheritEnv { get; set; }

    /// <summary>The parent's variables passed on when <see cref="InheritEnv"/> is <see langword="false"/> (for example <c>PATH</c>, <c>HOME</c>).</summary>
    public IList<string> AllowedEnv { get; set; } = new List<string>();

    /// <summary>The sidecar's working directory. Default: the parent's.</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>
    /// What the sidecar speaks, by a name registered in <see cref="SidecarConfigurationOptions.Transports"/>: <c>jsonl</c>,
    /// <c>jsonrpc</c> built in, others (<c>msgpack</c>, <c>grpc</c>) registered by the application. Absent: a plain
    /// program that speaks nothing of SidecarKit's.
    /// </summary>
    public string? Transport { get; set; }

    /// <summary>How long the sidecar may take to become ready. Default 30 seconds.</summary>
    public TimeSpan? ReadyTimeout { get; set; }

    /// <summary>How long the first stop step (and then SIGTERM) may take before the next. Default 5 seconds.</summary>
    public TimeSpan? ShutdownTimeout { get; set; }

    /// <summary>How long a call made while no instance is ready waits for one. Default 30 seconds.</summary>
    public TimeSpan? WaitForReadyTimeout { get; set; }

    /// <summary>With a host: start on the first call instead of with the host. Default <see langword="false"/>.</summary>
    public bool? StartOnDemand { get; set; }

    /// <summary>Whether the sidecar is run at all (an environment or a later file can switch one off). Default <see langword="true"/>.</summary>
    public bool? Enabled { get; set; }

    /// <summary>On Linux, kill the sidecar when this process dies (<c>setpriv --pdeathsig KILL</c>). Default <see langword="true"/>.</summary>
    public bool? KillOnParentDeath { get; set; }

    /// <summary>
    /// How strictly the sidecar's contracts must match this program's: <c>compatible</c> (the default), <c>exact</c> or
    /// <c>none</c> (see docs/compatibility.md).
    /// </summary>
    public string? ContractCompatibility { get; set; }

    /// <summary>
    /// Whether a sidecar that calls a callback contract this program does not serve fails the start. Default
    /// <see langword="true"/>; <see langword="false"/> starts it with a warning.
    /// </summary>
    public bool? RequireCallbacks { get; set; }

    /// <summary>How to tell that the sidecar is ready. Default: its ready announcement, or, for a plain program, started = ready.</summary>
    public SidecarReadinessSettings? Readiness { get; set; }

    /// <summary>How to tell that the sidecar is still alive. Default: <c>system.ping</c> for a sidecar with a transport; none for a plain program.</summary>
    public SidecarLivenessSettings? Liveness { get; set; }

    /// <summary>Restart policy and backoff. Default: on failure, 500 ms doubling to 30 s, at most 5 restarts a minute.</summary>
    public SidecarRestartSettings? Restart { get; set; }

    /// <summary>The first step of a graceful stop. Default: <c>system.shutdown</c> for a sidecar with a transport, SIGTERM for a plain program.</summary>
    public SidecarStopSettings? Stop { get; set; }

    /// <summary>A command that must succeed before the sidecar starts (once per supervised run). Default: none.</summary>
    public SidecarCommandSettings? Prepare { get; set; }
}

/// <summary>
/// A probe: its <see cref="Kind"/> (a name registered in <see cref="SidecarConfigurationOptions.ProbeKinds"/>) and the
/// settings that kind reads. Built in: <c>started</c>; <c>output</c> (<see cref="Pattern"/>, <see cref="Stream"/>);
/// <c>tcp</c> (<see cref="Host"/>, <see cref="Port"/>); <c>http</c> (<see cref="Url"/>); <c>unix</c> (<see cref="Path"/>).
/// <c>grpc-health</c> (<see cref="Address"/>, <see cref="Service"/>) when the application registers it.
/// </summary>
public class SidecarProbeSettings
{
    /// <summary>The kind of probe. Absent: no probe (the runtime's default check).</summary>
    public string? Kind { get; set; }

    /// <summary><c>output</c>: a .NET regular expression a line of the sidecar's output must match.</summary>
    public string? Pattern { get; set; }

    /// <summary><c>output</c>: <c>stdout</c> or <c>stderr</c>. Default: either.</summary>
    public string? Stream { get; set; }

    /// <summary><c>tcp</c>: the host to connect to. Default <c>127.0.0.1</c>.</summary>
    public string? Host { get; set; }

    /// <summary><c>tcp</c>: the port to connect to. Required.</summary>
    public int? Port { get; set; }

    /// <summary><c>http</c>: the absolute URL a GET of which must answer 2xx. Required.</summary>
    public string? Url { get; set; }

    /// <summary><c>unix</c>: the path of the Unix domain socket that must accept a connection. Required.</summary>
    public string? Path { get; set; }

    /// <summary><c>grpc-health</c>: the server's address (for example <c>http://127.0.0.1:50051</c>). Required.</summary>
    public string? Address { get; set; }

    /// <summary><c>grpc-health</c>: the service whose health is asked. Default: the empty name (the whole server).</summary>
    public string? Service { get; set; }
}

/// <summary>The readiness probe (<c>Sidecars:&lt;name&gt;:Readiness</c>): run until it passes, within the sidecar's <c>ReadyTimeout</c>.</summary>
public sealed class SidecarReadinessSettings : SidecarProbeSettings
{
    /// <summary>How often the probe runs until it passes. Default 100 ms.</summary>
    public TimeSpan? Period { get; set; }

    /// <summary>How long one attempt may take. Default 1 second.</summary>
    public TimeSpan? AttemptTimeout { get; set; }
}

/// <summary>
/// The liveness check (<c>Sidecars:&lt;name&gt;:Liveness</c>): every <see cref="Interval"/>, each within
/// <see cref="Timeout"/>; <see cref="FailureThreshold"/> failures in a row make the sidecar unhealthy (killed, restarted
/// per policy). Without a <see cref="SidecarProbeSettings.Kind"/>: <c>system.ping</c> for a sidecar with a transport.
/// </summary>
public sealed class SidecarLivenessSettings : SidecarProbeSettings
{
    /// <summary>Whether to check at all. Default <see langword="true"/>.</summary>
    public bool? Enabled { get; set; }

    /// <summary>Time between checks. Default 5 seconds.</summary>
    public TimeSpan? Interval { get; set; }

    /// <summary>How long one check may take. Default 2 seconds.</summary>
    public TimeSpan? Timeout { get; set; }

    /// <summary>Failed checks in a row that make the sidecar unhealthy. Default 3.</summary>
    public int? FailureThreshold { get; set; }

    /// <summary>Time after ready before the first check (which comes one interval later). Default 0.</summary>
    public TimeSpan? InitialDelay { get; set; }
}

/// <summary>Restart policy and backoff (<c>Sidecars:&lt;name&gt;:Restart</c>); each maps to <c>SidecarRestartOptions</c>.</summary>
public sealed class SidecarRestartSettings
{
    /// <summary><c>always</c>, <c>on-failure</c> or <c>never</c>. Default <c>on-failure</c>.</summary>
    public string? Policy { get; set; }

    /// <summary>The delay before the first restart. Default 500 ms.</summary>
    public TimeSpan? InitialDelay { get; set; }

    /// <summary>Each further restart waits this many times longer (at least 1). Default 2.</summary>
    public double? Multiplier { get; set; }

    /// <summary>The longest delay. Default 30 seconds.</summary>
    public TimeSpan? MaxDelay { get; set; }

    /// <summary>The random share of a delay added or removed, 0 to 1. Default 0.1.</summary>
    public double? Jitter { get; set; }

    /// <summary>A run this long counts as stable: the backoff starts over. Default 60 seconds.</summary>
    public TimeSpan? ResetAfter { get; set; }

    /// <summary>Restarts allowed within <see cref="IntensityWindow"/>; one more is <c>Failed</c>. Default 5.</summary>
    public int? MaxRestarts { get; set; }

    /// <summary>The window of <see cref="MaxRestarts"/>. Default 60 seconds.</summary>
    public TimeSpan? IntensityWindow { get; set; }
}

/// <summary>
/// The first step of a graceful stop (<c>Sidecars:&lt;name&gt;:Stop</c>): exactly one of <see cref="Signal"/>,
/// <see cref="CloseStdin"/>, <see cref="Command"/>. Then the sidecar has <c>ShutdownTimeout</c> to exit before its
/// process tree is killed.
/// </summary>
public sealed class SidecarStopSettings
{
    /// <summary>A POSIX signal: a name (<c>SIGTERM</c>, <c>SIGINT</c>, <c>SIGHUP</c>, <c>SIGQUIT</c>, <c>SIGUSR1</c>, <c>SIGUSR2</c>, with or without <c>SIG</c>) or a number 1..31.</summary>
    public string? Signal { get; set; }

    /// <summary>Close the sidecar's stdin (for programs that exit at end of input).</summary>
    public bool? CloseStdin { get; set; }

    /// <summary>A command to run (program, then arguments), with the sidecar's pid in <c>SIDECAR_PID</c>.</summary>
    public IList<string> Command { get; set; } = new List<string>();

    /// <summary>How long the stop command may run. Default: the sidecar's <c>ShutdownTimeout</c>.</summary>
    public TimeSpan? Timeout { get; set; }
}

/// <summary>A command run beside the sidecar (<c>Sidecars:&lt;name&gt;:Prepare</c>): program, then arguments.</summary>
public sealed class SidecarCommandSettings
{
    /// <summary>The program, then its arguments. Required.</summary>
    public IList<string> Command { get; set; } = new List<string>();

    /// <summary>How long it may run. Default 5 minutes.</summary>
    public TimeSpan? Timeout { get; set; }

    /// <summary>Its working directory. Default: the sidecar's.</summary>
    public string? WorkingDirectory { get; set; }
}
