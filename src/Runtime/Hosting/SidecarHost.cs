using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;
using SidecarKit.Carriers;
using SidecarKit.Lifecycle;
using SidecarKit.Processes;
using SidecarKit.Rpc;

namespace SidecarKit.Hosting;

/// <summary>
/// Runs the sidecar side: serves one or more contracts over the transport chosen on the command line, announces
/// readiness, answers <c>system.*</c>, and exits cleanly on <c>system.shutdown</c>, stdin EOF, SIGTERM or SIGINT.
/// </summary>
/// <example>
/// <code>
/// var builder = SidecarHost.CreateBuilder(args).AddJsonLines();
/// builder.AddContract&lt;IDemo&gt;(channel =&gt; new DemoService(channel.GetClient&lt;IDemoEvents&gt;()));
/// return await builder.Build().RunAsync();
/// </code>
/// </example>
public sealed class SidecarHost
{
    private readonly SidecarHostOptions _options;
    private readonly SidecarCommandLine _command;
    private readonly Action<RpcHandlerTable, RpcChannel>[] _contracts;
    private readonly ContractDescriptor[] _descriptors;
    private readonly ContractDescriptor[] _callbacks;
    private readonly Dictionary<string, SidecarTransport> _transports;
    private readonly SidecarDescriptions _descriptions;
    private readonly ILogger _logger;
    private readonly long _startTimestamp = Stopwatch.GetTimestamp();
    private volatile SidecarReadyInfo? _announced;   // what system.ready answers, once ready
    private readonly Func<CancellationToken, Task>[] _startupTasks;
    private readonly Logging.StderrLoggerProvider? _stderr;
    private readonly Func<RpcChannel, IAsyncDisposable?>[] _connectionHooks;
    // rpc.discover's answer, built on the first connection: the served contracts never change.
    private readonly Lazy<RpcMethodHandler> _discovery;

    internal SidecarHost(SidecarHostOptions options, SidecarCommandLine command, Action<RpcHandlerTable, RpcChannel>[] contracts,
        ContractDescriptor[] descriptors, ContractDescriptor[] callbacks, Dictionary<string, SidecarTransport> transports,
        SidecarDescriptions descriptions, ILoggerFactory loggerFactory,
        Logging.StderrLoggerProvider? stderr, Func<CancellationToken, Task>[] startupTasks, Func<RpcChannel, IAsyncDisposable?>[] connectionHooks)
    {
        _stderr = stderr;
        _connectionHooks = connectionHooks;
        _startupTasks = startupTasks;
        _descriptions = descriptions;
        _options = options;
        _command = command;
        _contracts = contracts;
        _descriptors = descriptors;
        _callbacks = callbacks;
        _transports = transports;
        LoggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("SidecarKit.Host");
        InstanceId = Guid.NewGuid().ToString("N");
        _discovery = new(() => ServiceDiscovery.Handler(ServiceDiscovery.Document(_descriptors, _callbacks)));
    }

    /// <summary>Starts configuring a sidecar from its command line.</summary>
    public static SidecarHostBuilder CreateBuilder(string[] args) => new(args);

    /// <summary>The loggers of this sidecar; they write to stderr.</summary>
    public ILoggerFactory LoggerFactory { get; }

    /// <summary>This run's instance id, announced in the ready payload.</summary>
    public string InstanceId { get; }

    /// <summary>Serves until shut down. Returns the process exit code: 0 after a clean shutdown, 2 for a bad command line.</summary>
    /// <param name="cancellationToken">Stops the sidecar at once when cancelled: the calls running are cancelled (reason <c>cancelled</c>).</param>
    public Task<int> RunAsync(CancellationToken cancellationToken = default) => RunAsync(CancellationToken.None, cancellationToken);

    /// <summary>
    /// Serves until shut down, or until <paramref name="stopToken"/> asks for a graceful stop (as a Generic Host's
    /// lifetime does). Returns the process exit code: 0 after a clean shutdown, 2 for a bad command line.
    /// </summary>
    /// <param name="stopToken">
    /// Stops the sidecar as <c>system.shutdown</c> does when cancelled (reason <c>host-stop</c>): no new calls, the
    /// running ones finish within <see cref="SidecarHostOptions.ShutdownTimeout"/>.
    /// </param>
    /// <param name="cancellationToken">
    /// Stops the sidecar at once when cancelled (reason <c>cancelled</c>): the calls running are cancelled; during a
    /// graceful stop, it cuts the drain short.
    /// </param>
    public async Task<int> RunAsync(CancellationToken stopToken, CancellationToken cancellationToken)
    {
        if (_command.Error is { } error)
        {
            await Console.Error.WriteLineAsync(error).ConfigureAwait(false);
            return 2;
        }
        if (_command.Help)
        {
            await Console.Out.WriteAsync(Usage()).ConfigureAwait(false);
            return 0;
        }
        if (_command.Describe is { } format)
        {
            if (!_descriptions.Knows(format))
            {
                await Console.Error.WriteLineAsync($"Unknown description format '{format}'. Available: {string.Join(", ", _descriptions.Formats)}.")
                    .ConfigureAwait(false);
                return 2;
            }
            if (_command.Output is not { } directory)
            {
                await Console.Out.WriteLineAsync(_descriptions.Text(format, _descriptors, _callbacks)).ConfigureAwait(false);
                return 0;
            }
            try
            {
                foreach (string path in _descriptions.Write(format, directory, _descriptors, _callbacks))
                    await Console.Out.WriteLineAsync(path).ConfigureAwait(false);
                return 0;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync($"Cannot write the description to '{directory}': {e.Message}").ConfigureAwait(false);
                return 1;
            }
        }
        if (!_transports.TryGetValue(_options.Transport, out SidecarTransport? transport))
        {
            await Console.Error.WriteLineAsync($"Unknown transport '{_options.Transport}'. Available: {string.Join(", ", _transports.Keys.Order())}.")
                .ConfigureAwait(false);
            return 2;
        }
        if (_options.HealthPort is not null && transport.StartServer is null)
        {
            await Console.Error.WriteLineAsync($"--health-port: the transport '{transport.Name}' has no grpc.health.v1 to serve; the gRPC transports do (--transport grpc, grpc-unix).")
                .ConfigureAwait(false);
            return 2;
        }
        if (_options.Tls.IsEnabled && !transport.SupportsTls)
        {
            await Console.Error.WriteLineAsync($"--tls-cert: the transport '{transport.Name}' does not serve TLS; the gRPC transports do (--transport grpc).")
                .ConfigureAwait(false);
            return 2;
        }
        if (Environment.GetEnvironmentVariable(SidecarProcess.DetachedVariable) == "1") _options.Detached = true;
        Environment.SetEnvironmentVariable(SidecarProcess.DetachedVariable, null);   // the sidecar's own children are not detached
        if (_options.Detached && transport.StartServer is null && transport.Carrier == SidecarCarrier.Stdio)
        {
            await Console.Error.WriteLineAsync($"--detached: the transport '{transport.Name}' runs on stdio, which ends with its parent; a detached sidecar needs a socket transport (grpc, grpc-unix, msgpack-unix, msgpack-pipe).")
                .ConfigureAwait(false);
            return 2;
        }
        // The parent names the protocol it speaks; a sidecar that does not speak it says so and exits, naming both.
        if (Environment.GetEnvironmentVariable(SidecarProcess.ProtocolVersionVariable) is { Length: > 0 } parentProtocol
            && !SidecarReadyInfo.SpeaksProtocol(parentProtocol))
        {
            await Console.Error.WriteLineAsync($"This sidecar speaks SidecarKit protocol {SidecarReadyInfo.CurrentProtocolVersion}, but its parent speaks " +
                $"{parentProtocol}: update the side with the older SidecarKit.").ConfigureAwait(false);
            return 1;
        }
        // Read once and removed from this process's environment, so the sidecar's own children do not inherit it.
        string? token = Environment.GetEnvironmentVariable(SidecarProcess.TokenVariable);
        Environment.SetEnvironmentVariable(SidecarProcess.TokenVariable, null);
        return await ServeAsync(transport, string.IsNullOrEmpty(token) ? null : token, stopToken, cancellationToken).ConfigureAwait(false);
    }

    private async Task<int> ServeAsync(SidecarTransport transport, string? token, CancellationToken stopToken, CancellationToken cancellationToken)
    {
        // A second reason to stop while already stopping (SIGTERM or system.shutdown_now during a drain) means "now".
        using var stop = new StopSignal();
        void Signal(PosixSignalContext c, StopReason reason)
        {
            c.Cancel = true;
            stop.Request(reason);
        }
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => Signal(c, StopReason.Terminate));
        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => Signal(c, StopReason.Interrupt));
        using CancellationTokenRegistration cancelled = cancellationToken.Register(() => stop.Request(StopReason.Cancelled));
        using CancellationTokenRegistration stopped = stopToken.Register(() => stop.Request(StopReason.HostStop));
        using var parentGone = new CancellationTokenSource();
        using ITimer? watchdog = _options.Detached ? null : ParentWatchdog.Start(() =>
        {
            stop.Request(StopReason.ParentExit);
            parentGone.Cancel(); // a drain in progress for nobody ends now
        }, _logger);

        if (transport.StartServer is not null)
            return await ServeWithServerAsync(transport, token, stop, parentGone.Token).ConfigureAwait(false);

        var connections = new ConnectionSet();
        stop.OnRequested(connections.StopAcceptingRequests);
        CarrierListener? listener = null;
        using var stopAccepting = new CancellationTokenSource();
        Task accepting = Task.CompletedTask;
        if (transport.Carrier != SidecarCarrier.Stdio)
        {
            try
            {
                listener = CarrierListener.Start(transport.Carrier, _options.Listen, _logger);
            }
            catch (Exception e) when (IsListenFailure(e))
            {
                await Console.Error.WriteLineAsync(OneLine(e.Message)).ConfigureAwait(false);
                return 1;
            }
        }
        else if (_options.Listen is not null)
        {
            _logger.LogWarning("--listen is ignored: the transport {Transport} runs on stdio.", transport.Name);
        }

        if (!await RunStartupTasksAsync(stop).ConfigureAwait(false))
        {
            if (listener is not null) await listener.DisposeAsync().ConfigureAwait(false);
            return 1;
        }
        SidecarReadyInfo ready = await AnnounceReadyAsync(transport, listener?.ListenInfo).ConfigureAwait(false);

        IAsyncDisposable[] stdioState = [];
        if (listener is null)
        {
            RpcConnection stdio = Open(transport, StreamDuplexPipe.Create(Console.OpenStandardInput(), Console.OpenStandardOutput(), blockingIo: true),
                ready, stop, out stdioState);
            stdio.CancelRequestsOnInputClosed = false; // the end of stdin drains: see the shutdown below
            connections.Add(stdio);
            stdio.Start(); // sends lifecycle.ready first, before the read loop can answer anything
            // The end of stdin, or input that cannot be read any further (bytes that are not the protocol).
            _ = stdio.Completion.ContinueWith(_ => stop.Request(stdio.ReadError is null ? StopReason.EndOfInput : StopReason.ProtocolError), TaskScheduler.Default);
        }
        else
        {
            if (token is null)
                _logger.LogInformation("{Variable} is not set: connections need no $/hello. The socket is still private to this user.", SidecarProcess.TokenVariable);
            accepting = AcceptAsync(listener, transport, token, ready, connections, new PendingHellos(_options.MaxPendingConnections), stop, stopAccepting.Token);
            // stdin carries no messages here, but its end still means "the parent is gone": the orphan guard of every OS.
            WatchStdinForEnd(() => stop.Request(StopReason.EndOfInput));
        }
        _logger.LogInformation("Ready: {Contracts} over {Transport}{Where} (pid {Pid}).", string.Join(", ", _descriptors.Select(d => d.Name)),
            transport.Name, listener is null ? "" : " at " + listener.ListenInfo, Environment.ProcessId);

        StopReason reason = await stop.Requested.ConfigureAwait(false);
        _logger.LogInformation("Shutting down ({Reason}).", reason.WireName());
        if (listener is not null)
        {
            stopAccepting.Cancel();
            await listener.DisposeAsync().ConfigureAwait(false); // removes the socket file and its directory
            await accepting.ConfigureAwait(false);
        }
        await ShutDownAsync(connections.Snapshot(), reason, parentGone.Token, stop.Urgent).ConfigureAwait(false);
        await DisposeConnectionStateAsync(stdioState).ConfigureAwait(false);
        // Everything is said; the stdin reader may still be blocked in a read the parent has no reason to end: exit
        // without waiting for it.
        return reason.ExitCode();
    }

    // A transport with its own server (gRPC): it listens at once, reports not serving until the startup tasks are
    // done, and drains its calls at shutdown.
    private async Task<int> ServeWithServerAsync(SidecarTransport transport, string? token, StopSignal stop, CancellationToken parentGone)
    {
        var state = new List<IAsyncDisposable>();
        try
        {
            return await ServeServerAsync(transport, token, stop, parentGone, state).ConfigureAwait(false);
        }
        finally
        {
            IAsyncDisposable[] all;
            lock (state) all = [.. state];
            await DisposeConnectionStateAsync(all).ConfigureAwait(false);
        }
    }

    private async Task<int> ServeServerAsync(SidecarTransport transport, string? token, StopSignal stop, CancellationToken parentGone,
        List<IAsyncDisposable> state)
    {
        ISidecarServer? server = null;
        var context = new SidecarServerContext(_options, token, LoggerFactory, _descriptors, callbacks =>
        {
            IAsyncDisposable[] opened = OpenConnectionState(callbacks);
            lock (state) state.AddRange(opened);
            var table = new RpcHandlerTable();
            foreach (Action<RpcHandlerTable, RpcChannel> register in _contracts) register(table, callbacks);
            table.AddContract<ISidecarSystem>(new SystemService(this, () => Math.Max(0, (server?.ActiveCallCount ?? 1) - 1), stop));
            return table;
        });
        try
        {
            server = await transport.StartServer!(context, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (IsListenFailure(e) || e is InvalidOperationException)
        {
            await Console.Error.WriteLineAsync(OneLine($"Cannot serve {transport.Name}: {e.Message}")).ConfigureAwait(false);
            return 1;
        }
        await using (server.ConfigureAwait(false))
        {
            stop.OnRequested(server.StopAccepting);
            // Loopback TCP is open to every user of the machine: without a token, any of them can call.
            if (token is null)
                _logger.LogWarning("{Variable} is not set: calls need no token, and on loopback TCP any local user can make them.", SidecarProcess.TokenVariable);
            if (!await RunStartupTasksAsync(stop).ConfigureAwait(false)) return 1;
            server.SetServing(true);
            await AnnounceReadyAsync(transport, server.ListenInfo).ConfigureAwait(false);
            _logger.LogInformation("Ready: {Contracts} over {Transport} at {Where} (pid {Pid}).", string.Join(", ", _descriptors.Select(d => d.Name)),
                transport.Name, server.ListenInfo, Environment.ProcessId);
            WatchStdinForEnd(() => stop.Request(StopReason.EndOfInput));

            StopReason reason = await stop.Requested.ConfigureAwait(false);
            _logger.LogInformation("Shutting down ({Reason}).", reason.WireName());
            server.SetServing(false);
            // The server's stop lets the calls run while its token is not cancelled, then cancels them: a stop that
            // drains gives them ShutdownTimeout, one that does not cancels them at once (the server answers them).
            using var grace = CancellationTokenSource.CreateLinkedTokenSource(parentGone, stop.Urgent);
            grace.CancelAfter(reason.Drains() ? reason.Grace(_options) : TimeSpan.Zero);
            await server.StopAsync(grace.Token).ConfigureAwait(false);
            return reason.ExitCode();
        }
    }

    // Why a place could not be listened on: in use, not an address the socket takes, no permission, not a socket. Each is
    // the user's to fix and ends the sidecar with exit code 1 and one line on stderr, never an unhandled exception; the
    // listeners say which in a SidecarException, the rest is the backstop for what a library let through as it was.
    private static bool IsListenFailure(Exception e)
        => e is SidecarException or IOException or UnauthorizedAccessException or System.Net.Sockets.SocketException;

    // The parent keeps stderr line by line: a reason is one line even when a library's message is not.
    private static string OneLine(string message) => message.ReplaceLineEndings(" ");

    // Runs the startup tasks before anything reports ready; a stop request during them ends them.
    private async Task<bool> RunStartupTasksAsync(StopSignal stop)
    {
        if (_startupTasks.Length == 0) return true;
        // Not disposed: the continuation below may still cancel it after the tasks are done.
        var stopping = new CancellationTokenSource();
        _ = stop.Requested.ContinueWith(_ => stopping.Cancel(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        try
        {
            foreach (Func<CancellationToken, Task> task in _startupTasks)
                await task(stopping.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            _logger.LogInformation("Stopped during startup ({Reason}).", stop.Requested.Result.WireName());
            return false;
        }
        catch (Exception e)
        {
            _logger.LogError(e, "A startup task failed; the sidecar will not report ready.");
            return false;
        }
    }

    private async Task<SidecarReadyInfo> AnnounceReadyAsync(SidecarTransport transport, string? listenInfo)
    {
        var ready = new SidecarReadyInfo(_options.Version, SidecarReadyInfo.CurrentProtocolVersion, Environment.ProcessId, InstanceId,
            transport.Name, listenInfo, [.. _descriptors.Select(SidecarContractInfo.From)], [.. _callbacks.Select(SidecarContractInfo.From)]);
        _announced = ready;   // before the marker, whose flush may take a while: gRPC health already says SERVING
        if (!_options.QuietReady)
        {
            string marker = SidecarReadyInfo.MarkerPrefix + ready.ToJson();
            // Through the logger's writer when it is ours: after the startup's log lines, whole (a line written beside
            // its writer could be cut into by one), and not lost when stderr is slow to be read.
            if (_stderr is not null)
            {
                _stderr.EnqueueUnbounded(marker);
                _stderr.Flush(TimeSpan.FromSeconds(5));
            }
            else if (LoggerFactory is Logging.StderrLoggerFactory stderr)
                stderr.WriteLine(marker, TimeSpan.FromSeconds(5));
            else
            {
                await Console.Error.WriteLineAsync(marker).ConfigureAwait(false);
                await Console.Error.FlushAsync().ConfigureAwait(false);
            }
        }
        return ready;
    }

    // One connection: the contracts (an implementation per connection when the factory makes one), system.*, and
    // lifecycle.ready as the first message once the connection is admitted.
    private RpcConnection Open(SidecarTransport transport, System.IO.Pipelines.IDuplexPipe pipe, SidecarReadyInfo ready,
        StopSignal stop, out IAsyncDisposable[] state)
    {
        var connection = new RpcConnection(pipe, transport.CreateProtocol!(), null, _options.Connection, LoggerFactory.CreateLogger("SidecarKit.Connection"));
        state = OpenConnectionState(connection);
        foreach (Action<RpcHandlerTable, RpcChannel> register in _contracts)
            register(connection.Handlers, connection);
        connection.Handlers.AddContract<ISidecarSystem>(new SystemService(this, () => Math.Max(0, connection.ActiveRequestCount - 1), stop));
        connection.Handlers.Add(_discovery.Value);
        connection.Admitted = () => connection.GetClient<ISidecarLifecycle>().Ready(
            ready.Version, ready.ProtocolVersion, ready.Pid, ready.InstanceId, ready.Transport, ready.ListenInfo, ready.Contracts, ready.Callbacks);
        return connection;
    }

    private async Task AcceptAsync(CarrierListener listener, SidecarTransport transport, string? token, SidecarReadyInfo ready,
        ConnectionSet connections, PendingHellos pending, StopSignal stop, CancellationToken stopAccepting)
    {
        while (!stopAccepting.IsCancellationRequested)
        {
            Stream stream;
            try
            {
                stream = await listener.AcceptAsync(stopAccepting).ConfigureAwait(false);
            }
            catch (Exception e) when (stopAccepting.IsCancellationRequested && e is OperationCanceledException or IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
            {
                return;
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or UnauthorizedAccessException)
            {
                // A client that vanished during the handshake, or was refused for another user: keep listening.
                _logger.LogWarning("A connection attempt failed: {Reason}", e.Message);
                await Task.Delay(10, CancellationToken.None).ConfigureAwait(false);
                continue;
            }
            _ = ServeConnectionAsync(stream, transport, token, ready, connections, pending, stop);
        }
    }

    private async Task ServeConnectionAsync(Stream stream, SidecarTransport transport, string? token, SidecarReadyInfo ready,
        ConnectionSet connections, PendingHellos pending, StopSignal stop)
    {
        // Without a token a connection is served at once; with one, it waits for its hello in a budget of its own
        // (PendingHellos) and takes one of the MaxConnections slots only once it said it.
        LinkedListNode<TaskCompletionSource>? waiting = null;
        if (token is not null)
        {
            waiting = pending.Add(out long dropped);
            if (dropped > 0 && (dropped & (dropped - 1)) == 0)   // 1, 2, 4, 8…: a flood is told, not echoed line by line
                _logger.LogWarning("Closed the oldest connection still waiting for {Hello} ({Dropped} so far): {Max} may wait at once (MaxPendingConnections).",
                    ProtocolMethods.Hello, dropped, _options.MaxPendingConnections);
        }
        else if (!connections.TryTakeSlot(_options.MaxConnections))
        {
            _logger.LogWarning("Closing a new connection: already serving {Count} (MaxConnections).", _options.MaxConnections);
            await stream.DisposeAsync().ConfigureAwait(false);
            return;
        }
        bool slot = token is null;
        RpcConnection connection = Open(transport, StreamDuplexPipe.Create(stream, stream, leaveOpen: true, blockingIo: true), ready, stop,
            out IAsyncDisposable[] state);
        connection.CancelRequestsOnInputClosed = false; // the end of its input drains, as on stdio: see DrainEndedConnectionAsync
        if (token is not null) connection.Admission = new HelloTokenAdmission(token);
        connections.Add(connection);
        try
        {
            connection.Start();
            if (waiting is not null)
            {
                Task said = await Task.WhenAny(connection.Completion, connection.AdmittedTask, Task.Delay(_options.HelloTimeout), waiting.Value.Task).ConfigureAwait(false);
                pending.Remove(waiting);
                if (said != connection.Completion && said != connection.AdmittedTask && said != waiting.Value.Task)
                    _logger.LogWarning("Closing the connection: refused: no {Hello} within {Seconds:0.#} s.", ProtocolMethods.Hello, _options.HelloTimeout.TotalSeconds);
                if (!connection.AdmittedTask.IsCompleted) return; // refused (logged by the connection), silent, or dropped for a newer one
                if (!(slot = connections.TryTakeSlot(_options.MaxConnections)))
                {
                    _logger.LogWarning("Closing a connection that said {Hello}: already serving {Count} (MaxConnections).", ProtocolMethods.Hello, _options.MaxConnections);
                    return;
                }
            }
            await connection.Completion.ConfigureAwait(false);
            await DrainEndedConnectionAsync(connection, stop).ConfigureAwait(false);
        }
        finally
        {
            if (waiting is not null) pending.Remove(waiting);
            if (slot) connections.ReleaseSlot();
            connections.Remove(connection);
            connection.MarkClosing();
            // The socket first: a writer blocked on a peer that stopped reading then fails instead of holding the close.
            await stream.DisposeAsync().ConfigureAwait(false);
            await connection.DisposeAsync().ConfigureAwait(false);
            await DisposeConnectionStateAsync(state).ConfigureAwait(false);
        }
    }

    // The per-connection state of SidecarHostBuilder.OnConnectionOpened, made before the connection's handlers.
    private IAsyncDisposable[] OpenConnectionState(RpcChannel channel)
    {
        if (_connectionHooks.Length == 0) return [];
        var state = new List<IAsyncDisposable>(_connectionHooks.Length);
        foreach (Func<RpcChannel, IAsyncDisposable?> hook in _connectionHooks)
            if (hook(channel) is { } opened) state.Add(opened);
        return [.. state];
    }

    // Once the connection's calls have ended; in reverse order of opening. A failure is logged, not thrown: the rest is
    // still disposed, and the sidecar still exits as it would have.
    private async Task DisposeConnectionStateAsync(IAsyncDisposable[] state)
    {
        for (int i = state.Length - 1; i >= 0; i--)
        {
            try { await state[i].DisposeAsync().ConfigureAwait(false); }
            catch (Exception e) { _logger.LogError(e, "Disposing the state of a connection failed."); }
        }
    }

    // The end of a connection's input is the end of its requests, not of the client: a client that half-closes
    // (shutdown(SHUT_WR)) still reads. As at the end of stdin, the requests already received run to completion and are
    // answered, within ShutdownTimeout, then the connection closes; what still runs then is cancelled and gets
    // CancelledRequestsGrace to answer. A client that went away entirely costs the same as one that waits: its
    // requests run (their answers go nowhere) within the same bounds. Input that could not be read, or a connection
    // this side gave up on, is not drained: disposing it cancels what runs.
    private async Task DrainEndedConnectionAsync(RpcConnection connection, StopSignal stop)
    {
        if (connection.ReadError is not null || connection.ClosedBySelfReason is not null) return;
        using (var grace = CancellationTokenSource.CreateLinkedTokenSource(stop.Urgent))
        {
            grace.CancelAfter(_options.ShutdownTimeout);
            try { await connection.DrainAsync(grace.Token).ConfigureAwait(false); }
            catch (OperationCanceledException)
            {
                connection.CancelInboundRequests();
                using var last = new CancellationTokenSource(_options.CancelledRequestsGrace);
                try { await connection.DrainAsync(last.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) { }
            }
        }
        // The answers may still sit in the output's buffer (a deferred flush): write them before the socket is closed.
        Task flushed = connection.CompleteOutputAsync();
        if (await Task.WhenAny(flushed, Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None)).ConfigureAwait(false) != flushed)
            _logger.LogWarning("A client that closed its input is not reading its answers; closing without flushing to it.");
    }

    // Only a pipe or socket from a parent says anything by ending: a terminal, /dev/null (a container's stdin, nohup,
    // systemd) or a file is not a parent. A detached sidecar outlives its parent on purpose.
    private void WatchStdinForEnd(Action onEnd)
    {
        if (_options.Detached)
        {
            _logger.LogInformation("Detached: the end of stdin and the parent's exit do not stop this sidecar; system.shutdown and SIGTERM do.");
            return;
        }
        if (!Interop.Posix.IsStandardInputPipeOrSocket())
        {
            _logger.LogDebug("stdin is not a pipe or socket: its end is not watched.");
            return;
        }
        var thread = new Thread(() =>
        {
            try
            {
                using Stream stdin = Console.OpenStandardInput();
                byte[] buffer = new byte[512];
                while (stdin.Read(buffer) > 0) { } // anything written is ignored
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException) { }
            onEnd();
        })
        { IsBackground = true, Name = "SidecarKit stdin" };
        thread.Start();
    }

    // system.shutdown and the end of stdin ("no more requests") let the requests already received finish, within
    // ShutdownTimeout; system.shutdown_now and signals cancel them at once.
    private async Task ShutDownAsync(RpcConnection[] connections, StopReason reason, CancellationToken parentGone, CancellationToken urgent)
    {
        bool drains = reason.Drains();
        if (!drains) CancelAll();
        using (var grace = CancellationTokenSource.CreateLinkedTokenSource(parentGone, urgent))
        {
            grace.CancelAfter(reason.Grace(_options));
            try { await Task.WhenAll(connections.Select(c => c.DrainAsync(grace.Token))).ConfigureAwait(false); }
            catch (OperationCanceledException)
            {
                // A drain that ran out (or was cut short) cancels what still runs and gives it the same grace to answer
                // as a stop that cancels at once; for a parent that is gone, nobody waits for the answers.
                bool waited = !drains;
                CancelAll();
                using var last = new CancellationTokenSource(waited || parentGone.IsCancellationRequested ? TimeSpan.Zero : _options.CancelledRequestsGrace);
                try { await Task.WhenAll(connections.Select(c => c.DrainAsync(last.Token))).ConfigureAwait(false); }
                catch (OperationCanceledException) { _logger.LogWarning("Requests still running at exit: {Count}.", connections.Sum(c => c.ActiveRequestCount)); }
            }
        }
        foreach (RpcConnection connection in connections)
            if (connection.AdmittedTask.IsCompleted) connection.GetClient<ISidecarLifecycle>().Shutdown(reason.WireName());
        Task flushed = Task.WhenAll(connections.Select(c => c.CompleteOutputAsync()));
        if (await Task.WhenAny(flushed, Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None)).ConfigureAwait(false) != flushed)
            _logger.LogWarning("A peer is not reading; exiting without flushing to it.");

        void CancelAll()
        {
            foreach (RpcConnection connection in connections) connection.CancelInboundRequests();
        }
    }

    private string Usage()
    {
        string app = System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name ?? "sidecar";
        var sb = new StringBuilder();
        sb.Append("Usage: ").Append(app).AppendLine(" [options]");
        sb.AppendLine();
        sb.AppendLine("A SidecarKit sidecar. It serves its contracts on the chosen transport, writes");
        sb.AppendLine("__SIDECAR_READY__:{json} on stderr and lifecycle.ready on the protocol channel when ready,");
        sb.AppendLine("and exits on system.shutdown, end of stdin (on every transport), SIGTERM or SIGINT. Logs go");
        sb.AppendLine("to stderr. With SIDECAR_TOKEN set, socket connections must first send $/hello with it.");
        sb.AppendLine();
        sb.AppendLine("Options:");
        sb.AppendLine("  --transport <name>    The transport to serve (default jsonl):");
        foreach (SidecarTransport t in _transports.Values.OrderBy(t => t.Name, StringComparer.Ordinal))
            sb.Append("                          ").Append(t.Name.PadRight(13)).Append(' ').AppendLine(t.Description);
        sb.AppendLine("  --listen <where>      For socket transports: the socket path or pipe name to listen on");
        sb.AppendLine("                        (default: a fresh private one, announced as listenInfo).");
        sb.Append("  --describe [format]   Print the contract description and exit (formats: ")
          .Append(string.Join(", ", _descriptions.Formats)).AppendLine("; default json).");
        sb.AppendLine("  --output <dir>        With --describe: write the description's files into <dir> (proto: one file");
        sb.AppendLine("                        per contract, the callback contracts included) and print their paths.");
        sb.AppendLine("  --tls-cert <pem>      gRPC: serve TLS with this certificate (--tls-key <pem>: its key, if in another");
        sb.AppendLine("                        file); required to --listen on an address other than loopback.");
        sb.AppendLine("  --tls-client-ca <pem> gRPC: require client certificates issued by this CA (mTLS).");
        sb.AppendLine("  --health-port <port>  gRPC: also serve grpc.health.v1 alone, in plaintext, on this port of every");
        sb.AppendLine("                        address (for kubelet's grpc probes).");
        sb.AppendLine("  --log-level <level>   trace, debug, information (default), warning, error, critical or none.");
        sb.AppendLine("  --quiet-ready         Do not write the __SIDECAR_READY__ line on stderr.");
        sb.AppendLine("  --detached            Socket transports: keep serving when the parent is gone (its exit and the");
        sb.AppendLine("                        end of stdin no longer stop the sidecar; system.shutdown and SIGTERM do).");
        sb.AppendLine("  -h, --help            Show this help and exit.");
        sb.AppendLine();
        sb.AppendLine("Contracts:");
        foreach (ContractDescriptor d in _descriptors)
            sb.Append("  ").Append(d.Name).Append(" (fingerprint ").Append(d.Fingerprint).Append("): ")
              .AppendLine(string.Join(", ", d.Methods.Select(m => m.WireName)));
        return sb.ToString();
    }

    /// <summary>The connections being served, for the shutdown.</summary>
    private sealed class ConnectionSet
    {
        private readonly HashSet<RpcConnection> _all = [];
        private bool _refusing;
        private int _served;   // the connections holding one of the MaxConnections slots

        public bool TryTakeSlot(int max)
        {
            lock (_all)
            {
                if (_served >= max) return false;
                _served++;
                return true;
            }
        }

        public void ReleaseSlot()
        {
            lock (_all) _served--;
        }

        public int Count { get { lock (_all) return _all.Count; } }

        public void Add(RpcConnection c)
        {
            lock (_all)
            {
                _all.Add(c);
                if (_refusing) c.StopAcceptingRequests();
            }
        }

        // The stop is decided: from now on no connection, present or accepted late, starts a new request.
        public void StopAcceptingRequests()
        {
            lock (_all)
            {
                _refusing = true;
                foreach (RpcConnection c in _all) c.StopAcceptingRequests();
            }
        }

        public void Remove(RpcConnection c) { lock (_all) _all.Remove(c); }
        public RpcConnection[] Snapshot() { lock (_all) return [.. _all]; }
    }

    // activeRequests: the requests running besides the ping itself.
    private sealed class SystemService(SidecarHost host, Func<int> activeRequests, StopSignal stop) : ISidecarSystem
    {
        public Task<SidecarHealth> PingAsync(CancellationToken ct)
            => Task.FromResult(new SidecarHealth(
                stop.IsRequested ? "draining" : "ok",
                Environment.ProcessId,
                host.InstanceId,
                (long)Stopwatch.GetElapsedTime(host._startTimestamp).TotalMilliseconds,
                activeRequests(),
                host._options.Version,
                SidecarReadyInfo.CurrentProtocolVersion));

        public Task<SidecarReadyInfo> ReadyAsync(CancellationToken ct)
            => host._announced is { } ready ? Task.FromResult(ready)
                : Task.FromException<SidecarReadyInfo>(new InvalidOperationException("Not ready yet: its startup tasks are running."));

        public Task ShutdownAsync(CancellationToken ct)
        {
            stop.Request(StopReason.Shutdown);
            return Task.CompletedTask;
        }

        public Task ShutdownNowAsync(CancellationToken ct)
        {
            stop.Request(StopReason.ShutdownNow); // during a drain: cuts it
            return Task.CompletedTask;
        }
    }
}
