using System.ComponentModel;
using System.Diagnostics;
using System.Security.Cryptography;
using SidecarKit.Carriers;
using SidecarKit.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SidecarKit.Lifecycle;
using SidecarKit.Probes;
using SidecarKit.Rpc;

namespace SidecarKit.Processes;

/// <summary>
/// One running sidecar process and the connection to it: started, ready, and stopped gracefully.
/// </summary>
/// <example>
/// <code>
/// var options = new SidecarProcessOptions { Name = "demo", FileName = "dotnet" }.UseJsonLines();
/// options.Arguments.Add("Demo.Sidecar.dll");
/// await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options);
/// IDemo demo = sidecar.GetClient&lt;IDemo&gt;();
/// int sum = await demo.AddAsync(2, 3);
/// </code>
/// </example>
public sealed class SidecarProcess : IAsyncDisposable
{
    private readonly SidecarProcessOptions _options;
    private readonly Process _process;
    // What carries calls, once connected: the RPC connection (JSON-RPC, MessagePack-RPC; on stdio from the start, on a
    // socket once ready) or the transport's own client bound to this process (gRPC). One field, so every path that
    // uses or ends it treats them alike; what only a connection has (its end, read to the last answer) is asked of it.
    private RpcChannel? _channel;
    // The channel that refuses the methods the sidecar lacks, once the contract check found one (null: none found).
    private volatile MissingMethodsChannel? _guarded;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ContractDescriptor, NegotiatedContract> _negotiated = new();
    private readonly string? _token;
    private readonly TaskCompletionSource _admitted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ILogger _logger;
    private readonly SidecarLogForwarder _lines;
    private readonly BoundedTail _tail;
    private readonly BoundedTail _stdoutBeforeReady = new(StdoutBeforeReadyLines);   // what a stdio sidecar printed that was no message, until ready
    private readonly TaskCompletionSource<SidecarReadyInfo> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task<int> _exited;
    private readonly Task _stderrPump;
    private readonly Task _stdoutPump = Task.CompletedTask;
    private readonly SidecarProbeContext _probeContext;
    private readonly SidecarProbe? _readiness;   // null: the sidecar announces itself (ready marker, lifecycle.ready), or a plain one is ready at spawn
    private int _stopped;
    private volatile bool _detached;

    private SidecarProcess(SidecarProcessOptions options, Process process, string? token, ILogger logger)
    {
        _options = options;
        _tail = new BoundedTail(options.StderrTailLines);
        _process = process;
        _token = token;
        _logger = logger;
        _lines = new SidecarLogForwarder(options.LoggerFactory, logger, options.Name, options.IsPlain);
        ProcessId = process.Id;
        _exited = WaitForExitAsync(process);
        // Before the pumps start, so that a probe waiting for a line sees every line.
        _probeContext = new SidecarProbeContext(options.Name, process.Id);
        _readiness = options.Readiness;
        _readiness?.Attach(_probeContext);
        _stderrPump = Task.Run(() => PumpLinesAsync(_process.StandardError.BaseStream, "stderr"));

        if (!options.IsPlain && options.Carrier == SidecarCarrier.Stdio && options.ConnectChannel is null)
        {
            RpcConnection connection = Connect(StreamDuplexPipe.Create(process.StandardOutput.BaseStream, process.StandardInput.BaseStream, blockingIo: true));
            connection.InvalidFrame = KeepStdoutBeforeReady;
            _channel = connection;
            connection.Start();
        }
        else
        {
            // The messages travel on the socket (or there are none: a plain program); what it prints on stdout is log output.
            _stdoutPump = Task.Run(() => PumpLinesAsync(_process.StandardOutput.BaseStream, "stdout"));
        }
    }

    private RpcConnection Connect(System.IO.Pipelines.IDuplexPipe pipe)
    {
        RpcHandlerTable handlers = _options.Callbacks.Clone();
        handlers.AddContract<ISidecarLifecycle>(new LifecycleListener(this));
        var connection = new RpcConnection(pipe, _options.Protocol!(), handlers, _options.Connection,
            _options.LoggerFactory?.CreateLogger("SidecarKit.Connection." + _options.Name));
        connection.ConnectionLost = ExplainConnectionLossAsync;
        return connection;
    }

    /// <summary>The environment variable that tells a sidecar its parent's pid, so it can exit when the parent is gone.</summary>
    public const string ParentPidVariable = "SIDECAR_PARENT_PID";

    /// <summary>
    /// Set to <c>1</c> for a sidecar that outlives its parent (<see cref="SidecarProcessOptions.Detached"/>; the sidecar's
    /// <c>--detached</c>): the parent's exit and the end of stdin do not stop it.
    /// </summary>
    public const string DetachedVariable = "SIDECAR_DETACHED";

    /// <summary>
    /// The environment variable that gives a sidecar its connection token. Set to a fresh random value at every start;
    /// a sidecar on a socket transport then admits only connections whose first message is <c>$/hello</c> with it.
    /// </summary>
    public const string TokenVariable = "SIDECAR_TOKEN";

    /// <summary>
    /// The environment variable that tells a sidecar the SidecarKit protocol version its parent speaks; a sidecar that
    /// does not speak it exits with code 1, naming both versions.
    /// </summary>
    public const string ProtocolVersionVariable = "SIDECAR_PROTOCOL_VERSION";

    /// <summary>The connection token this start gave the sidecar (<see cref="TokenVariable"/>), for a reattach record.</summary>
    internal string? Token => _token;

    /// <summary>The sidecar's name (from the options).</summary>
    public string Name => _options.Name;

    /// <summary>The process id.</summary>
    public int ProcessId { get; }

    /// <summary>Whether the sidecar has announced that it is ready.</summary>
    public bool IsReady => _ready.Task.IsCompletedSuccessfully;

    /// <summary>What the sidecar announced when it became ready.</summary>
    public SidecarReadyInfo ReadyInfo => _ready.Task.IsCompletedSuccessfully ? _ready.Task.Result : throw new InvalidOperationException("The sidecar is not ready.");

    /// <summary>What carries calls to the sidecar, whatever the transport: the RPC connection (JSON-RPC, MessagePack-RPC) or the transport's own client (gRPC).</summary>
    /// <exception cref="InvalidOperationException">The sidecar is not connected yet.</exception>
    public RpcChannel Channel => (RpcChannel?)_guarded ?? _channel ?? throw new InvalidOperationException(_options.IsPlain
        ? $"The sidecar '{Name}' is a plain program (no Protocol or ConnectChannel in its options): there is no channel to call it on."
        : $"The sidecar '{Name}' is not connected yet.");

    /// <summary>Whether the sidecar is a plain program, reached by no channel (neither a protocol nor a transport's client).</summary>
    public bool IsPlain => _options.IsPlain;

    /// <summary>What probes of this sidecar see (its output lines); liveness probes run against it.</summary>
    internal SidecarProbeContext ProbeContext => _probeContext;

    /// <summary>Whether the connection to the sidecar is known to be gone (the process may not have exited yet).</summary>
    internal bool IsConnectionLost => _channel is RpcConnection { Completion.IsCompleted: true };

    /// <summary>Completes with the exit code when the process exits (128 + N when killed by signal N).</summary>
    public Task<int> Exited => _exited;

    /// <summary>The last lines the sidecar wrote on stderr (and, for a plain program, on stdout too), oldest first.</summary>
    public IReadOnlyList<string> StderrTail
    {
        get => _tail.Snapshot();
    }

    /// <summary>
    /// Starts the sidecar and waits until it is ready. Fails fast with the exit code and stderr tail if it exits
    /// first, and kills it if it is not ready within <see cref="SidecarProcessOptions.ReadyTimeout"/>.
    /// </summary>
    /// <exception cref="SidecarStartException">The sidecar could not be started or did not become ready.</exception>
    public static Task<SidecarProcess> StartAsync(SidecarProcessOptions options, CancellationToken cancellationToken = default)
        => StartAsync(options, runPrepare: true, cancellationToken);

    /// <summary>Starts the sidecar; a supervisor's restarts skip the prepare command, which ran before its first start.</summary>
    internal static async Task<SidecarProcess> StartAsync(SidecarProcessOptions options, bool runPrepare, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrEmpty(options.FileName) && options.FileNameCandidates.Count == 0)
            throw new ArgumentException("SidecarProcessOptions.FileName (or FileNameCandidates) is required.", nameof(options));
        if (options.Detached && (options.IsPlain || (options.Carrier == SidecarCarrier.Stdio && options.ConnectChannel is null)))
            throw new ArgumentException("SidecarProcessOptions.Detached needs a sidecar on a socket transport (gRPC, or a Unix socket or named pipe carrier): stdio ends with its parent.", nameof(options));
        if (options.Readiness is not null && options.Protocol is not null && options.Carrier != SidecarCarrier.Stdio)
            throw new ArgumentException("SidecarProcessOptions.Readiness cannot replace the ready marker on a socket carrier: the marker says where to connect.", nameof(options));
        if (runPrepare && options.Prepare is { } prepare)
            await SidecarCommandRunner.PrepareAsync(options, prepare, cancellationToken).ConfigureAwait(false);

        // The start as a span (spawn to ready) and the time to ready as a measurement, when anything listens.
        using Activity? span = SidecarTelemetry.Source.StartActivity("sidecar.start", ActivityKind.Internal);
        span?.SetTag(SidecarTelemetry.NameTag, options.Name);
        long spawned = Stopwatch.GetTimestamp();
        try
        {
            SidecarProcess sidecar = await SpawnAsync(options, cancellationToken).ConfigureAwait(false);
            span?.SetTag("process.pid", sidecar.ProcessId);
            SidecarTelemetry.TimeToReady.Record(Stopwatch.GetElapsedTime(spawned).TotalMilliseconds, new KeyValuePair<string, object?>(SidecarTelemetry.NameTag, options.Name));
            return sidecar;
        }
        catch (Exception e)
        {
            span?.SetStatus(ActivityStatusCode.Error, e.Message);
            throw;
        }
    }

    private static async Task<SidecarProcess> SpawnAsync(SidecarProcessOptions options, CancellationToken cancellationToken)
    {

        ProcessStartInfo startInfo = StartInfoBuilder.Build(options, StartInfoBuilder.CurrentEnvironment());
        // The sidecar host watches this pid and exits when its parent is gone (see docs/lifecycle.md).
        // One the options set (or remove, with null) is kept.
        if (!options.Environment.ContainsKey(ParentPidVariable) && !options.Detached)
            startInfo.Environment[ParentPidVariable] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (!options.Environment.ContainsKey(ProtocolVersionVariable))
            startInfo.Environment[ProtocolVersionVariable] = SidecarReadyInfo.CurrentProtocolVersion;
        // A fresh secret per start: only this parent can connect to the sidecar's socket (one it set itself is kept).
        if (!options.Environment.TryGetValue(TokenVariable, out string? token))
            startInfo.Environment[TokenVariable] = token = RandomNumberGenerator.GetHexString(32, lowercase: true);

        ILogger logger = options.LoggerFactory?.CreateLogger(SidecarLogForwarder.CategoryPrefix) ?? NullLogger.Instance;
        var process = new Process { StartInfo = startInfo };
        try
        {
            await ProcessSpawner.StartAsync(process).ConfigureAwait(false);
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException)
        {
            process.Dispose();
            throw new SidecarStartException($"The sidecar '{options.Name}' could not be started: '{options.FileName}': {e.Message}", null, [], e) { BeforeSpawn = true };
        }

        if (StartInfoBuilder.LeadsOwnGroup(startInfo)) OrphanGuard.Watch(process);
        var sidecar = new SidecarProcess(options, process, token, logger);
        try
        {
            await sidecar.WaitReadyAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await sidecar.KillAsync().ConfigureAwait(false);
            await sidecar.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return sidecar;
    }

    private async Task WaitReadyAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ReadyTimeout);
        // A sidecar that does not announce itself is ready when its probe passes (a plain one without a probe at spawn).
        var probing = new ReadinessProbing(this);
        if (_readiness is not null) _ = probing.RunAsync(_readiness, timeout.Token);
        else if (_options.IsPlain) _ready.TrySetResult(probing.ReadyInfo());
        Task winner;
        try
        {
            winner = await Task.WhenAny(_ready.Task, _exited).WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            string why = _readiness is null ? "" : $" Its readiness probe ({_readiness.Description}) never passed{probing.LastFailure}.";
            throw new SidecarStartException(
                $"The sidecar '{Name}' (pid {ProcessId}) did not become ready within {_options.ReadyTimeout.TotalSeconds:0.#} s.{why}{StdoutBeforeReadyText()}{TailText()}",
                null, StderrTail);
        }
        if (winner == _ready.Task && _ready.Task.IsFaulted)
            await _ready.Task.ConfigureAwait(false); // the probe's own failure, as it was thrown
        if (winner == _ready.Task && _ready.Task.Result.Pid is int announced && announced != 0 && announced != ProcessId)
        {
            // On stdio the answer came on this very child's pipe, so the connection is this child's; a different pid
            // means a wrapper that did not exec (signals and kills then reach the wrapper first).
            _logger.LogWarning("The sidecar '{Name}' announced pid {Announced}, but the process started is {Pid}: a wrapper that does not exec?",
                Name, announced, ProcessId);
        }
        if (winner == _exited)
            await ThrowExitedBeforeReadyAsync().ConfigureAwait(false);
        // The other side announced how it talks: a mismatch fails now, not as a call that hangs until its timeout.
        if (_readiness is null && ReadyInfo.Transport is { } announcedTransport && _options.ExpectedTransports.Count > 0
            && !_options.ExpectedTransports.Contains(announcedTransport, StringComparer.Ordinal))
            throw new SidecarStartException(
                $"The sidecar '{Name}' (pid {ProcessId}) serves transport '{announcedTransport}', but this parent speaks " +
                $"{string.Join(" or ", _options.ExpectedTransports.Select(t => $"'{t}'"))}: start the sidecar with --transport " +
                $"{_options.ExpectedTransports[0]}, or give the parent the options of '{announcedTransport}'.", null, StderrTail) { Incompatible = true };
        if (_readiness is null) CheckAgreement(ReadyInfo);
        if (_options.ConnectChannel is { } connect)
        {
            try
            {
                RpcChannel channel = await connect(new SidecarChannelContext(Name, ReadyInfo, _token, _options.Callbacks, _options.LoggerFactory), timeout.Token).ConfigureAwait(false);
                _channel = new ProcessBoundChannel(this, channel);
            }
            catch (Exception e) when (e is not OperationCanceledException and not SidecarStartException)
            {
                throw new SidecarStartException($"Could not connect to the sidecar '{Name}' at {ReadyInfo.ListenInfo}: {e.Message}{TailText()}", null, StderrTail, e);
            }
        }
        else if (_options.Carrier != SidecarCarrier.Stdio)
        {
            try
            {
                await ConnectToListenerAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new SidecarStartException(
                    $"The sidecar '{Name}' (pid {ProcessId}) did not admit the connection to {ReadyInfo.ListenInfo} within {_options.ReadyTimeout.TotalSeconds:0.#} s.{TailText()}",
                    null, StderrTail);
            }
        }
    }

    // The handshake's other checks: the protocol version, and the callback contracts the sidecar will call here.
    private void CheckAgreement(SidecarReadyInfo info)
    {
        if (!SidecarReadyInfo.SpeaksProtocol(info.ProtocolVersion))
            throw new SidecarStartException(
                $"The sidecar '{Name}' (pid {ProcessId}) speaks SidecarKit protocol {info.ProtocolVersion}, but this program speaks " +
                $"{SidecarReadyInfo.CurrentProtocolVersion}: update the side with the older SidecarKit.", null, StderrTail) { Incompatible = true };
        CallbackCheck callbacks = ServedContracts.CheckCallbacks(Name, info, _options.Callbacks, _options.ContractCompatibility);
        foreach (string report in callbacks.Reports) _logger.LogInformation("{Report}", report);
        if (callbacks.Breaking is { } breaking)
            throw new SidecarStartException(breaking, null, StderrTail) { Incompatible = true };
        if (callbacks.Unregistered.Count == 0) return;
        if (_options.RequireCallbacks)
            throw new SidecarStartException(string.Join(" ", callbacks.Unregistered), null, StderrTail) { Incompatible = true };
        foreach (string unregistered in callbacks.Unregistered) _logger.LogWarning("{Problem}", unregistered);
    }

    private async Task ThrowExitedBeforeReadyAsync()
    {
        // What the process wrote before it exited may still be in its pipes: both are read to their end (a second at
        // most) before the error is told, so that it quotes all of it (the stdout lines come through the connection's
        // read loop, on a thread of their own, and were once quoted only as far as that loop had got).
        Task stdoutRead = _options.Carrier == SidecarCarrier.Stdio && _channel is RpcConnection connection ? connection.Completion : _stdoutPump;
        await Task.WhenAny(Task.WhenAll(_stderrPump, stdoutRead), Task.Delay(1000)).ConfigureAwait(false);
        int code = await _exited.ConfigureAwait(false);
        throw new SidecarStartException(
            $"The sidecar '{Name}' exited with code {DescribeExit(code)} before it became ready.{StdoutBeforeReadyText()}{TailText()}", code, StderrTail);
    }

    private const int StdoutBeforeReadyLines = 20;
    private const int StdoutBeforeReadyLineLength = 500;

    // Text on stdout that is no message of the protocol, before ready: a program that prints instead of speaking (the
    // dotnet host's advice for a missing app, a wrong program). Kept, bounded, for the start error; logged as it comes.
    private void KeepStdoutBeforeReady(System.Buffers.ReadOnlySequence<byte> frame)
    {
        if (_ready.Task.IsCompleted) return;
        System.Buffers.ReadOnlySequence<byte> kept = frame.Length > 4 * StdoutBeforeReadyLineLength ? frame.Slice(0, 4 * StdoutBeforeReadyLineLength) : frame;
        string text = System.Text.EncodingExtensions.GetString(System.Text.Encoding.UTF8, kept);
        foreach (string raw in text.Split('\n'))
        {
            string line = new([.. raw.TrimEnd('\r').Select(c => char.IsControl(c) ? '?' : c)]);
            if (line.Length == 0) continue;
            if (line.Length > StdoutBeforeReadyLineLength) line = line[..StdoutBeforeReadyLineLength] + "…";
            _stdoutBeforeReady.Add(line);
        }
    }

    private string StdoutBeforeReadyText()
    {
        IReadOnlyList<string> lines = _stdoutBeforeReady.Snapshot();
        return lines.Count == 0 ? "" : " It printed on stdout, where the protocol was expected:" + Environment.NewLine
            + string.Join(Environment.NewLine, lines.Select(l => "  | " + l)) + Environment.NewLine;
    }

    // Socket carriers: the ready payload says where the sidecar listens. Connect, prove the token with $/hello, and wait
    // for lifecycle.ready on the connection, which the sidecar sends only once it has admitted it.
    private async Task ConnectToListenerAsync(CancellationToken cancellationToken)
    {
        SidecarReadyInfo info = ReadyInfo;
        if (string.IsNullOrEmpty(info.ListenInfo))
            throw new SidecarStartException(
                $"The sidecar '{Name}' is ready on transport '{info.Transport}' without a listenInfo, but the options expect a {_options.Carrier} " +
                "carrier: start it with a socket transport (for example --transport msgpack-unix or msgpack-pipe).", null, StderrTail);
        Stream stream;
        try
        {
            stream = await CarrierConnector.ConnectAsync(_options.Carrier, info.ListenInfo, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or UnauthorizedAccessException or TimeoutException)
        {
            throw new SidecarStartException($"Could not connect to the sidecar '{Name}' at {info.ListenInfo}: {e.Message}{TailText()}", null, StderrTail, e);
        }
        RpcConnection connection = Connect(StreamDuplexPipe.Create(stream, stream, blockingIo: true));
        if (_token is not null) connection.SendHello(_token); // queued before the read loop starts: the first message
        connection.Start();
        _channel = connection;
        Task winner = await Task.WhenAny(_admitted.Task, connection.Completion, _exited).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (winner == _exited)
            await ThrowExitedBeforeReadyAsync().ConfigureAwait(false);
        if (winner == connection.Completion)
            throw new SidecarStartException(
                $"The sidecar '{Name}' (pid {ProcessId}) closed the connection at {info.ListenInfo} without admitting it: does it expect another {TokenVariable}?{TailText()}",
                null, StderrTail);
    }

    /// <summary>
    /// Returns a typed client of <typeparamref name="TContract"/>. If the sidecar announced the contract, its
    /// fingerprint must match this build's, so that both sides agree on the wire shape.
    /// </summary>
    /// <exception cref="SidecarException">The sidecar serves a different version of the contract.</exception>
    public TContract GetClient<TContract>() where TContract : class, ISidecarContract<TContract>
    {
        Negotiate(TContract.Descriptor);
        return Channel.GetClient<TContract>();
    }

    /// <summary>
    /// Checks <paramref name="contract"/> against what the sidecar announced (once per contract; the compatible
    /// differences are logged then) and makes the calls of methods the sidecar lacks fail at once.
    /// </summary>
    /// <exception cref="SidecarContractException">The sidecar does not serve the contract, or serves it incompatibly.</exception>
    internal void Negotiate(ContractDescriptor contract)
    {
        if (!_negotiated.TryGetValue(contract, out NegotiatedContract? outcome))
        {
            outcome = ServedContracts.Negotiate(Name, ReadyInfo, contract, _options.ContractCompatibility);
            if (_negotiated.TryAdd(contract, outcome))
            {
                if (outcome.Report is { } report) _logger.LogInformation("{Report}", report);
                if (outcome.MissingOnSidecar.Count > 0)
                {
                    lock (_negotiated)
                    {
                        IEnumerable<string> missing = outcome.MissingOnSidecar;
                        if (_guarded is { } before) missing = missing.Concat(before.Missing);
                        _guarded = new MissingMethodsChannel(_channel!, System.Collections.Frozen.FrozenSet.ToFrozenSet(missing, StringComparer.Ordinal), Name, ReadyInfo.Version);
                    }
                }
            }
        }
        if (outcome.Error is { } error) throw error;
    }

    /// <summary>Asks the sidecar for a health snapshot (<c>system.ping</c>).</summary>
    public Task<SidecarHealth> PingAsync(CancellationToken cancellationToken = default)
        => Channel.GetClient<ISidecarSystem>().PingAsync(cancellationToken);

    /// <summary>
    /// Stops the sidecar: <c>system.shutdown</c> (it finishes the requests in flight), then SIGTERM, then a kill of its
    /// whole process tree, each after <see cref="SidecarProcessOptions.ShutdownTimeout"/>. Returns its exit code.
    /// </summary>
    /// <exception cref="InvalidOperationException">The sidecar was let go (<see cref="DetachAsync"/>): whoever attaches to it stops it.</exception>
    public async Task<int> StopAsync(CancellationToken cancellationToken = default)
    {
        if (_detached)
            throw new InvalidOperationException($"The sidecar '{Name}' was detached: stop it through an attachment (AttachedSidecar.StopAsync), or kill it with KillAsync.");
        using Activity? span = _stopped == 0 ? SidecarTelemetry.Source.StartActivity("sidecar.stop", ActivityKind.Internal) : null;
        span?.SetTag(SidecarTelemetry.NameTag, Name);
        span?.SetTag("process.pid", ProcessId);
        int code = await StopCoreAsync(cancellationToken).ConfigureAwait(false);
        span?.SetTag("process.exit.code", code);
        return code;
    }

    private async Task<int> StopCoreAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0 && !_exited.IsCompleted)
        {
            TimeSpan grace = _options.ShutdownTimeout;
            if ((_options.Stop ?? (_options.IsPlain ? SidecarStop.Terminate : null)) is { } step)
            {
                // Its own way to stop (a plain program: SIGTERM unless told otherwise), the grace period, then the kill.
                await StopStepAsync(step, grace, cancellationToken).ConfigureAwait(false);
                if (!await ExitedWithinAsync(grace, cancellationToken).ConfigureAwait(false))
                {
                    _logger.LogWarning("The sidecar '{Name}' did not exit within {Grace} s of {Step}; killing its process tree.", Name, grace.TotalSeconds, step);
                    await KillAsync().ConfigureAwait(false);
                }
                await LetAnswersArriveAsync(grace, cancellationToken).ConfigureAwait(false);
                await DisposeConnectionAsync().ConfigureAwait(false);
                return await _exited.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            try
            {
                RpcChannel channel = _channel ?? throw new SidecarException("Not connected.");
                using (SidecarCall.WithTimeout(grace))
                    await channel.GetClient<ISidecarSystem>().ShutdownAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SidecarException or TimeoutException or ObjectDisposedException)
            {
                _logger.LogDebug(e, "system.shutdown to '{Name}' failed; escalating.", Name);
            }
            if (!await ExitedWithinAsync(grace, cancellationToken).ConfigureAwait(false))
            {
                _logger.LogWarning("The sidecar '{Name}' did not exit after system.shutdown; sending SIGTERM.", Name);
                SendTerminate();
                if (!await ExitedWithinAsync(grace, cancellationToken).ConfigureAwait(false))
                {
                    _logger.LogWarning("The sidecar '{Name}' did not exit after SIGTERM; killing its process tree.", Name);
                    await KillAsync().ConfigureAwait(false);
                }
            }
            await LetAnswersArriveAsync(grace, cancellationToken).ConfigureAwait(false);
        }
        await DisposeConnectionAsync().ConfigureAwait(false);
        return await _exited.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Lets go of a sidecar started with <see cref="SidecarProcessOptions.Detached"/>: its channel is closed and
    /// <see cref="DisposeAsync"/> no longer stops it; its output is still forwarded until then. It keeps running for
    /// whoever reattaches to it.
    /// </summary>
    /// <exception cref="InvalidOperationException">The sidecar was not started detached: it would die with this process anyway.</exception>
    public async Task DetachAsync()
    {
        if (!_options.Detached)
            throw new InvalidOperationException($"The sidecar '{Name}' was not started with SidecarProcessOptions.Detached: it cannot outlive its parent.");
        Interlocked.Exchange(ref _stopped, 1);
        _detached = true;
        await DisposeConnectionAsync().ConfigureAwait(false);
    }

    /// <summary>Stops the sidecar (see <see cref="StopAsync"/>) unless it was detached, and releases the process and its pipes.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_detached)
            {
                await StopAsync().ConfigureAwait(false);
                await Task.WhenAny(Task.WhenAll(_stderrPump, _stdoutPump), Task.Delay(1000)).ConfigureAwait(false);
            }
            // Detached, it runs on and its output never ends: the pipes are closed below, and its later writes fail
            // (EPIPE, which a SidecarKit sidecar ignores).
        }
        finally
        {
            // Process.Dispose does not close redirected streams (it leaves them to finalizers): close them here, so a
            // supervisor that restarts a sidecar many times does not pile up pipes.
            ClosePipes();
            _process.Dispose();
        }
    }

    private void ClosePipes()
    {
        foreach (Func<Stream> stream in new Func<Stream>[] { () => _process.StandardInput.BaseStream, () => _process.StandardOutput.BaseStream, () => _process.StandardError.BaseStream })
        {
            try { stream().Dispose(); }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException) { }
        }
    }

    // The sidecar drained before it exited, so the answers to every call it took are sent; some may still be in the
    // pipe or the socket. Disposing the channel now would lose them (and fail their callers as crashed): wait until
    // the connection has read to its end, or the transport's client has no call left, within the grace period.
    private async Task LetAnswersArriveAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        try
        {
            if (_channel is RpcConnection connection)
                await connection.Completion.WaitAsync(grace, cancellationToken).ConfigureAwait(false);
            else if (_channel is ProcessBoundChannel bound && !await bound.InFlight.WhenNoneAsync(grace, cancellationToken).ConfigureAwait(false))
                _logger.LogWarning("{Count} call(s) to '{Name}' were still waiting {Grace} s after it exited; they fail now.", bound.InFlight.Count, Name, grace.TotalSeconds);
        }
        catch (TimeoutException)
        {
            _logger.LogWarning("The connection to '{Name}' did not reach its end within {Grace} s after the process exited.", Name, grace.TotalSeconds);
        }
    }

    private async Task<bool> ExitedWithinAsync(TimeSpan time, CancellationToken cancellationToken)
    {
        Task done = await Task.WhenAny(_exited, Task.Delay(time, cancellationToken)).ConfigureAwait(false);
        return done == _exited;
    }

    /// <summary>Kills the sidecar's whole process tree at once (no graceful stop) and waits briefly for it to exit.</summary>
    public async Task KillAsync()
    {
        try { _process.Kill(entireProcessTree: true); }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception) { }
        await Task.WhenAny(_exited, Task.Delay(5000)).ConfigureAwait(false);
        await DisposeConnectionAsync().ConfigureAwait(false);
    }

    private async ValueTask DisposeConnectionAsync()
    {
        if (_channel is IAsyncDisposable channel) await channel.DisposeAsync().ConfigureAwait(false);
    }

    private async Task StopStepAsync(SidecarStop step, TimeSpan grace, CancellationToken cancellationToken)
    {
        _logger.LogDebug("Stopping '{Name}': {Step}.", Name, step);
        switch (step.Kind)
        {
            case SidecarStopKind.Signal:
                SendSignal(step.SignalNumber);
                break;
            case SidecarStopKind.CloseStandardInput:
                try { _process.StandardInput.BaseStream.Dispose(); }
                catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException) { }
                break;
            case SidecarStopKind.Command:
                var command = step.StopCommand!;
                var run = new SidecarCommand(command.FileName, [.. command.Arguments])
                {
                    WorkingDirectory = command.WorkingDirectory,
                    Timeout = command.Timeout < grace ? command.Timeout : grace,
                };
                SidecarCommandResult result = await SidecarCommandRunner.RunAsync(_options, run, "stop",
                    new Dictionary<string, string> { ["SIDECAR_PID"] = ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                    _logger, cancellationToken).ConfigureAwait(false);
                if (!result.Succeeded)
                    _logger.LogWarning("The stop command of '{Name}' ({Command}) failed: {Reason}", Name, run, result.Failure);
                break;
        }
    }

    private void SendSignal(int signal)
    {
        if (OperatingSystem.IsWindows())
        {
            try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            return;
        }
        _ = Interop.Posix.Signal(ProcessId, signal);
    }

    private void SendTerminate()
    {
        if (OperatingSystem.IsWindows())
        {
            try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            return;
        }
        _ = Interop.Posix.Signal(ProcessId, Interop.Posix.SIGTERM);
    }

    private static async Task<int> WaitForExitAsync(Process process)
    {
        await process.WaitForExitAsync().ConfigureAwait(false);
        return process.ExitCode;
    }

    private async Task PumpLinesAsync(Stream output, string stream)
    {
        using IDisposable? scope = _logger.BeginScope(new SidecarLogScope(Name, ProcessId, stream));
        try
        {
            await BoundedLineReader.ReadLinesAsync(output, _options.MaxLogLineBytes, line => OnOutputLine(line, stream), SidecarReadyInfo.MarkerPrefix).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            _logger.LogDebug(e, "Reading the {Stream} of '{Name}' ended.", stream, Name);
        }
    }

    // Log lines of either stream (stdout only carries them on socket carriers); the tail kept for errors is stderr's.
    private void OnOutputLine(string line, string stream)
    {
        _probeContext.OnOutputLine(stream == "stderr" ? SidecarOutputStream.StandardError : SidecarOutputStream.StandardOutput, line);
        if (_readiness is null && !_options.IsPlain && line.StartsWith(SidecarReadyInfo.MarkerPrefix, StringComparison.Ordinal))
        {
            try
            {
                SidecarReadyInfo info = SidecarReadyInfo.Parse(line[SidecarReadyInfo.MarkerPrefix.Length..]);
                _ready.TrySetResult(info);
                _logger.LogDebug("{Sidecar}: ready marker {Line}", Name, line);
                return;
            }
            catch (FormatException e)
            {
                _logger.LogWarning("{Sidecar}: malformed ready marker: {Reason}", Name, e.Message);
            }
        }
        if (stream == "stderr" || _options.IsPlain)
        {
            _tail.Add(line);
        }
        // An entry of the sidecar's logger is logged again at its level and category; any other line as it is.
        _lines.Forward(line, stream);
    }

    internal async ValueTask<Exception> ExplainConnectionLossAsync(Exception? readError)
    {
        // The sidecar closed stdout: it is exiting, or it has exited. Wait briefly for the exit code and the last stderr lines.
        await Task.WhenAny(_exited, Task.Delay(2000)).ConfigureAwait(false);
        await Task.WhenAny(_stderrPump, Task.Delay(1000)).ConfigureAwait(false);
        int? code = _exited.IsCompletedSuccessfully ? _exited.Result : null;
        string what = code is int c
            ? $"The sidecar '{Name}' (pid {ProcessId}) exited with code {DescribeExit(c)}"
            : readError is null ? $"The sidecar '{Name}' (pid {ProcessId}) closed its output"
            : $"The connection to the sidecar '{Name}' (pid {ProcessId}) failed ({readError.GetType().Name}: {readError.Message})";
        return new SidecarCrashedException(what + " while the call was in flight." + TailText(), code, StderrTail, readError);
    }

    private string TailText()
    {
        IReadOnlyList<string> tail = StderrTail;
        if (tail.Count == 0) return " It wrote nothing on stderr.";
        IEnumerable<string> last = tail.Skip(Math.Max(0, tail.Count - 10));
        return " Last stderr lines:" + Environment.NewLine + string.Join(Environment.NewLine, last.Select(l => "  | " + l));
    }

    internal static string DescribeExit(int code)
        => code > 128 && code < 128 + 32 && !OperatingSystem.IsWindows() ? $"{code} (signal {code - 128})" : code.ToString(System.Globalization.CultureInfo.InvariantCulture);

    // Runs the readiness probe until it passes, then completes the ready task with what is known without an
    // announcement (the pid); keeps the last failure for the timeout's message.
    private sealed class ReadinessProbing(SidecarProcess owner)
    {
        private volatile string? _lastFailure;

        public string LastFailure => _lastFailure is { } detail ? $" (last attempt: {detail})" : "";

        public SidecarReadyInfo ReadyInfo() => new("", "", owner.ProcessId, null, null, null, null);

        public async Task RunAsync(SidecarProbe probe, CancellationToken cancellationToken)
        {
            try
            {
                while (!owner._exited.IsCompleted)
                {
                    using (var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                    {
                        attempt.CancelAfter(owner._options.ReadinessAttemptTimeout);
                        SidecarProbeResult result;
                        try
                        {
                            result = await probe.CheckAsync(owner._probeContext, attempt.Token).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                        {
                            result = SidecarProbeResult.Fail($"no answer within {owner._options.ReadinessAttemptTimeout.TotalMilliseconds:0} ms");
                        }
                        if (result.Passed)
                        {
                            owner._logger.LogDebug("{Sidecar}: ready ({Probe}).", owner.Name, probe.Description);
                            owner._ready.TrySetResult(ReadyInfo());
                            return;
                        }
                        _lastFailure = result.Detail;
                    }
                    await Task.Delay(owner._options.ReadinessPeriod, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) { } // the start timed out or was cancelled: WaitReadyAsync says so
            catch (Exception e)
            {
                // A probe must not throw; one that does fails the start with what it threw, rather than hanging it.
                owner._ready.TrySetException(new SidecarStartException(
                    $"The readiness probe of the sidecar '{owner.Name}' ({probe.Description}) failed: {e.Message}", null, owner.StderrTail, e));
            }
        }
    }

    private sealed class LifecycleListener(SidecarProcess owner) : ISidecarLifecycle
    {
        public void Ready(string version, string protocolVersion, int pid, string? instanceId, string? transport, string? listenInfo, IReadOnlyList<SidecarContractInfo>? contracts,
            IReadOnlyList<SidecarContractInfo>? callbacks)
        {
            owner._ready.TrySetResult(new SidecarReadyInfo(version, protocolVersion, pid, instanceId, transport, listenInfo, contracts, callbacks));
            owner._admitted.TrySetResult();
        }

        public void Shutdown(string reason) => owner._logger.LogInformation("{Sidecar}: shutting down ({Reason}).", owner.Name, reason);
    }
}
