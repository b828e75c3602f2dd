using Microsoft.Extensions.Logging;
using SidecarKit.Probes;
using SidecarKit.Rpc;

namespace SidecarKit.Processes;

/// <summary>How to start and talk to one sidecar process. Every setting has a documented default.</summary>
public sealed class SidecarProcessOptions
{
    /// <summary>A name for logs and errors. Default <c>sidecar</c>.</summary>
    public string Name { get; set; } = DefaultName;

    internal const string DefaultName = "sidecar";

    /// <summary>
    /// The program to run. Required. A path (with a <c>/</c>) is used as it is; a bare name is resolved: first from the
    /// environment variable named by <see cref="FileNameVariable"/>, then on <c>PATH</c>. No shell is involved.
    /// </summary>
    public string FileName { get; set; } = "";

    /// <summary>
    /// Programs to try in order when <see cref="FileName"/> is empty (for example <c>deno</c>, then <c>node</c>, or
    /// several install paths): the first that is found runs, with the same <see cref="Arguments"/>; when none is, the
    /// error names every place tried for each. Each is resolved like <see cref="FileName"/>.
    /// </summary>
    public IList<string> FileNameCandidates { get; } = new List<string>();

    /// <summary>
    /// An environment variable that, when set, holds the program's path and takes precedence over <c>PATH</c> (for
    /// example <c>DEMO_SIDECAR</c>). Default: none.
    /// </summary>
    public string? FileNameVariable { get; set; }

    /// <summary>The program's arguments, passed as they are (no shell quoting).</summary>
    public IList<string> Arguments { get; } = new List<string>();

    /// <summary>
    /// Environment variables set for the child on top of the inherited ones; a null value removes a variable. Values,
    /// arguments, the file name and the working directory may refer to the parent's variables as <c>${NAME}</c>
    /// (<c>$$</c> is a literal <c>$</c>); a reference to an unset variable is an error, not an empty string.
    /// </summary>
    public IDictionary<string, string?> Environment { get; } = new Dictionary<string, string?>(StringComparer.Ordinal);

    /// <summary>
    /// Whether the child starts with the parent's environment. Default <see langword="true"/>. When
    /// <see langword="false"/>, it gets only the variables named in <see cref="AllowedEnvironmentVariables"/> (when set in
    /// the parent) plus <see cref="Environment"/>.
    /// </summary>
    public bool InheritEnvironment { get; set; } = true;

    /// <summary>The parent's variables passed on when <see cref="InheritEnvironment"/> is <see langword="false"/> (for example <c>PATH</c>, <c>HOME</c>).</summary>
    public IList<string> AllowedEnvironmentVariables { get; } = new List<string>();

    /// <summary>
    /// On Linux, start the sidecar through <c>setpriv --pdeathsig KILL</c> (util-linux) from a dedicated long-lived
    /// thread, so the kernel kills it the moment this process dies, even if it is hung or never reads its stdin.
    /// Default <see langword="true"/>; ignored where <c>setpriv</c> is not installed or on other systems.
    /// </summary>
    public bool KillOnParentDeath { get; set; } = true;

    /// <summary>
    /// Start a sidecar that outlives this process, for a parent that restarts (an upgrade) and reattaches to it (see
    /// <c>SidecarReattach</c> in SidecarKit.Transports.Grpc, and docs/deployment.md): the sidecar gets
    /// <c>SIDECAR_DETACHED=1</c> and no <c>SIDECAR_PARENT_PID</c>, starts in a session of its own (<c>setsid</c>), and
    /// neither the kernel's parent-death signal nor the orphan guard is set up for it. It must serve a socket transport
    /// (stdio ends with its parent). <see cref="SidecarProcess.DetachAsync"/> lets go of it. Default <see langword="false"/>.
    /// </summary>
    public bool Detached { get; set; }

    /// <summary>The child's working directory. Default: the parent's.</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>How long the child may take to become ready. Default 30 seconds.</summary>
    public TimeSpan ReadyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long each stage of a graceful stop may take (system.shutdown, then SIGTERM) before the next. Default 5 seconds.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Creates the protocol to speak (for example <c>() =&gt; new JsonRpcProtocol()</c>, which <c>UseJsonLines()</c> sets).
    /// When neither this nor <see cref="ConnectChannel"/> is set, the sidecar is a <b>plain program</b> that speaks
    /// nothing of SidecarKit's: it is started, logged (stdout and stderr, line by line), probed, stopped and supervised
    /// like any sidecar, and <see cref="SidecarProcess.Channel"/> is not available.
    /// </summary>
    public Func<RpcProtocol>? Protocol { get; set; }

    /// <summary>
    /// The transports the sidecar may announce in its ready payload (<c>UseJsonLines()</c> sets <c>jsonl</c>,
    /// <c>UseMessagePack()</c> <c>msgpack</c>, <c>UseGrpc()</c> <c>grpc</c> and <c>grpc-unix</c>, …). A sidecar that
    /// announces another fails the start at once, naming both, instead of a first call that hangs until its timeout.
    /// Empty: not checked.
    /// </summary>
    public IList<string> ExpectedTransports { get; } = new List<string>();

    /// <summary>
    /// How to tell that the sidecar is ready, when it does not announce it itself: a probe run every
    /// <see cref="ReadinessPeriod"/> (each attempt within <see cref="ReadinessAttemptTimeout"/>) until it passes, within
    /// <see cref="ReadyTimeout"/>. Default: none for a sidecar with a <see cref="Protocol"/> (its ready marker or
    /// <c>lifecycle.ready</c> says so); a plain program without a probe is ready once started (<c>SidecarProbe.Started()</c>). With
    /// <see cref="ConnectChannel"/> (a server of another implementation, say a <c>grpcio</c> one) the channel is attached
    /// once the probe passes.
    /// </summary>
    public SidecarProbe? Readiness { get; set; }

    /// <summary>How often the readiness probe runs until it passes. Default 100 ms.</summary>
    public TimeSpan ReadinessPeriod { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long one readiness attempt may take (a slower one fails). Default 1 s.</summary>
    public TimeSpan ReadinessAttemptTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The first step of a graceful stop. Default: <c>system.shutdown</c>, then SIGTERM, for a sidecar with a
    /// <see cref="Protocol"/> or <see cref="ConnectChannel"/>; <see cref="SidecarStop.Terminate"/> (SIGTERM) for a plain
    /// program. When set, it replaces both: this step, <see cref="ShutdownTimeout"/>, then the process tree is killed.
    /// </summary>
    public SidecarStop? Stop { get; set; }

    /// <summary>
    /// A command that must succeed before the sidecar starts (installing dependencies, a build), with its own timeout;
    /// its output is logged. When it fails the start fails with its exit code and last output lines, and a supervisor
    /// does not retry (it would fail again): the state is <c>Failed</c>. Default: none.
    /// </summary>
    public SidecarCommand? Prepare { get; set; }

    /// <summary>Whether the sidecar is a plain program (neither <see cref="Protocol"/> nor <see cref="ConnectChannel"/>).</summary>
    internal bool IsPlain => Protocol is null && ConnectChannel is null;

    /// <summary>
    /// What carries the messages. Default <see cref="SidecarCarrier.Stdio"/>. With a socket carrier the parent waits for
    /// the ready marker on stderr, connects to its <c>listenInfo</c>, sends <c>$/hello</c> with the token it put in
    /// <c>SIDECAR_TOKEN</c>, and logs what the sidecar prints on stdout. The sidecar must be started with a matching
    /// transport (<c>--transport msgpack-unix</c> for <c>UseMessagePack(SidecarCarrier.UnixSocket)</c>).
    /// </summary>
    public SidecarCarrier Carrier { get; set; } = SidecarCarrier.Stdio;

    /// <summary>
    /// For transports that bring their own client instead of an RPC connection (gRPC: <c>UseGrpc()</c> sets it). Called
    /// once the sidecar is ready, with where it listens and the token; the channel it returns carries every call. Then
    /// <see cref="Protocol"/> and <see cref="Carrier"/> are not used, and the sidecar's stdout is logged.
    /// </summary>
    public Func<SidecarChannelContext, CancellationToken, Task<RpcChannel>>? ConnectChannel { get; set; }

    /// <summary>The methods the sidecar may call on the parent (callback contracts).</summary>
    public RpcHandlerTable Callbacks { get; } = new();

    /// <summary>Settings of the connection (call timeout, stream window, limits).</summary>
    public RpcConnectionOptions Connection { get; set; } = new();

    /// <summary>How many of the child's last stderr lines to keep for error messages. Default 50.</summary>
    public int StderrTailLines { get; set; } = 50;

    /// <summary>The longest stderr line kept whole; longer lines are split. Default 16 KiB.</summary>
    public int MaxLogLineBytes { get; set; } = 16 * 1024;

    /// <summary>
    /// Where the child's stderr lines and the connection's events are logged. Default: nowhere. An entry the sidecar's
    /// logger wrote (<see cref="Logging.LogLine"/>) is logged again at its level, under the category
    /// <c>SidecarKit.Sidecar.&lt;Name&gt;.&lt;its category&gt;</c>; any other line under <c>SidecarKit.Sidecar</c>, at
    /// Information or at the level of its prefix (<c>warn:</c>, <c>error:</c> …); all inside the scope
    /// <c>sidecar=&lt;Name&gt; pid=&lt;pid&gt; stream=stderr</c> (docs/lifecycle.md, section 8).
    /// </summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>
    /// How strictly the sidecar's contracts must match the ones this program was built against, checked at ready and
    /// by <c>GetClient</c>. Default <see cref="ContractCompatibility.Compatible"/> (see docs/compatibility.md).
    /// </summary>
    public ContractCompatibility ContractCompatibility { get; set; } = ContractCompatibility.Compatible;

    /// <summary>
    /// Whether a sidecar that announces a callback contract this program did not register in <see cref="Callbacks"/>
    /// fails the start (the default) rather than starting with a warning, its calls of that contract then failing.
    /// </summary>
    public bool RequireCallbacks { get; set; } = true;
}
