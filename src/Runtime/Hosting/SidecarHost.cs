using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;
using SidecarKit.Lifecycle;
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
    private readonly Dictionary<string, SidecarTransport> _transports;
    private readonly ILogger _logger;
    private readonly long _startTimestamp = Stopwatch.GetTimestamp();

    internal SidecarHost(SidecarHostOptions options, SidecarCommandLine command, Action<RpcHandlerTable, RpcChannel>[] contracts,
        ContractDescriptor[] descriptors, Dictionary<string, SidecarTransport> transports, ILoggerFactory loggerFactory)
    {
        _options = options;
        _command = command;
        _contracts = contracts;
        _descriptors = descriptors;
        _transports = transports;
        LoggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("SidecarKit.Host");
        InstanceId = Guid.NewGuid().ToString("N");
    }

    /// <summary>Starts configuring a sidecar from its command line.</summary>
    public static SidecarHostBuilder CreateBuilder(string[] args) => new(args);

    /// <summary>The loggers of this sidecar; they write to stderr.</summary>
    public ILoggerFactory LoggerFactory { get; }

    /// <summary>This run's instance id, announced in the ready payload.</summary>
    public string InstanceId { get; }

    /// <summary>Serves until shut down. Returns the process exit code: 0 after a clean shutdown, 2 for a bad command line.</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken = default)
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
            if (format != "json")
            {
                await Console.Error.WriteLineAsync($"Unknown description format '{format}'. Available: json.").ConfigureAwait(false);
                return 2;
            }
            await Console.Out.WriteLineAsync("{\"protocolVersion\":\"" + SidecarReadyInfo.CurrentProtocolVersion + "\",\"contracts\":["
                + string.Join(",", _descriptors.Select(d => d.DescriptionJson)) + "]}").ConfigureAwait(false);
            return 0;
        }
        if (!_transports.TryGetValue(_options.Transport, out SidecarTransport? transport))
        {
            await Console.Error.WriteLineAsync($"Unknown transport '{_options.Transport}'. Available: {string.Join(", ", _transports.Keys.Order())}.")
                .ConfigureAwait(false);
            return 2;
        }
        return await ServeStdioAsync(transport, cancellationToken).ConfigureAwait(false);
    }

    private async Task<int> ServeStdioAsync(SidecarTransport transport, CancellationToken cancellationToken)
    {
        var connection = new RpcConnection(
            StreamDuplexPipe.Create(Console.OpenStandardInput(), Console.OpenStandardOutput(), blockingIo: true),
            transport.CreateProtocol(), null, _options.Connection, LoggerFactory.CreateLogger("SidecarKit.Connection"));
        connection.CancelRequestsOnInputClosed = false; // end of stdin drains: see the shutdown below
        foreach (Action<RpcHandlerTable, RpcChannel> register in _contracts)
            register(connection.Handlers, connection);
        var stop = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var urgentStop = new CancellationTokenSource();
        connection.Handlers.AddContract<ISidecarSystem>(new SystemService(this, connection, stop, urgentStop));

        // A signal while already shutting down (say SIGTERM during a system.shutdown drain) means "now": it cuts the drain.
        using var urgent = new CancellationTokenSource();
        void Signal(PosixSignalContext c, string reason)
        {
            c.Cancel = true;
            if (!stop.TrySetResult(reason)) urgent.Cancel();
        }
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => Signal(c, "sigterm"));
        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => Signal(c, "sigint"));
        using CancellationTokenRegistration cancelled = cancellationToken.Register(() => stop.TrySetResult("cancelled"));
        using var parentGone = new CancellationTokenSource();
        using ITimer? watchdog = ParentWatchdog.Start(() =>
        {
            stop.TrySetResult("parent-exit");
            parentGone.Cancel(); // a drain in progress for nobody ends now
        }, _logger);

        var ready = new SidecarReadyInfo(_options.Version, SidecarReadyInfo.CurrentProtocolVersion, Environment.ProcessId, InstanceId,
            transport.Name, null, [.. _descriptors.Select(d => new SidecarContractInfo(d.Name, d.Fingerprint))]);
        if (!_options.QuietReady)
        {
            await Console.Error.WriteLineAsync(SidecarReadyInfo.MarkerPrefix + ready.ToJson()).ConfigureAwait(false);
            await Console.Error.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        ISidecarLifecycle lifecycle = connection.GetClient<ISidecarLifecycle>();
        // Queued before the loops start, so lifecycle.ready is the first line on stdout, before any response.
        lifecycle.Ready(ready.Version, ready.ProtocolVersion, ready.Pid, ready.InstanceId, ready.Transport, ready.ListenInfo, ready.Contracts);
        connection.Start();
        _logger.LogInformation("Ready: {Contracts} over {Transport} (pid {Pid}).", string.Join(", ", _descriptors.Select(d => d.Name)), transport.Name, Environment.ProcessId);

        Task eof = connection.Completion.ContinueWith(_ => stop.TrySetResult("eof"), TaskScheduler.Default);
        string reason = await stop.Task.ConfigureAwait(false);
        _logger.LogInformation("Shutting down ({Reason}).", reason);

        // system.shutdown and the end of stdin ("no more requests") let the requests already received finish, within
        // ShutdownTimeout; system.shutdown_now and signals cancel them at once.
        bool drain = reason is "shutdown" or "eof";
        if (!drain) connection.CancelInboundRequests();
        using (var grace = CancellationTokenSource.CreateLinkedTokenSource(parentGone.Token, urgent.Token, urgentStop.Token))
        {
            grace.CancelAfter(drain ? _options.ShutdownTimeout : TimeSpan.FromSeconds(2));
            try { await connection.DrainAsync(grace.Token).ConfigureAwait(false); }
            catch (OperationCanceledException)
            {
                connection.CancelInboundRequests();
                using var last = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                try { await connection.DrainAsync(last.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) { _logger.LogWarning("Requests still running at exit: {Count}.", connection.ActiveRequestCount); }
            }
        }
        lifecycle.Shutdown(reason);
        Task flushed = connection.CompleteOutputAsync();
        if (await Task.WhenAny(flushed, Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None)).ConfigureAwait(false) != flushed)
            _logger.LogWarning("stdout is not being read; exiting without flushing.");
        // Everything is said; the stdin reader may still be blocked in a read the parent has no reason to end: exit
        // without waiting for it.
        return 0;
    }

    private string Usage()
    {
        string app = System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name ?? "sidecar";
        var sb = new StringBuilder();
        sb.Append("Usage: ").Append(app).AppendLine(" [options]");
        sb.AppendLine();
        sb.AppendLine("A SidecarKit sidecar. It serves its contracts on the chosen transport, writes");
        sb.AppendLine("__SIDECAR_READY__:{json} on stderr and lifecycle.ready on the protocol channel when ready,");
        sb.AppendLine("and exits on system.shutdown, end of stdin, SIGTERM or SIGINT. Logs go to stderr.");
        sb.AppendLine();
        sb.AppendLine("Options:");
        sb.AppendLine("  --transport <name>    The transport to serve (default jsonl):");
        foreach (SidecarTransport t in _transports.Values.OrderBy(t => t.Name, StringComparer.Ordinal))
            sb.Append("                          ").Append(t.Name.PadRight(12)).AppendLine(t.Description);
        sb.AppendLine("  --describe [format]   Print the contract description and exit (formats: json).");
        sb.AppendLine("  --log-level <level>   trace, debug, information (default), warning, error, critical or none.");
        sb.AppendLine("  --quiet-ready         Do not write the __SIDECAR_READY__ line on stderr.");
        sb.AppendLine("  -h, --help            Show this help and exit.");
        sb.AppendLine();
        sb.AppendLine("Contracts:");
        foreach (ContractDescriptor d in _descriptors)
            sb.Append("  ").Append(d.Name).Append(" (fingerprint ").Append(d.Fingerprint).Append("): ")
              .AppendLine(string.Join(", ", d.Methods.Select(m => m.WireName)));
        return sb.ToString();
    }

    private sealed class SystemService(SidecarHost host, RpcConnection connection, TaskCompletionSource<string> stop, CancellationTokenSource urgent) : ISidecarSystem
    {
        public Task<SidecarHealth> PingAsync(CancellationToken ct)
            => Task.FromResult(new SidecarHealth(
                stop.Task.IsCompleted ? "draining" : "ok",
                Environment.ProcessId,
                host.InstanceId,
                (long)Stopwatch.GetElapsedTime(host._startTimestamp).TotalMilliseconds,
                Math.Max(0, connection.ActiveRequestCount - 1),
                host._options.Version,
                SidecarReadyInfo.CurrentProtocolVersion));

        public Task ShutdownAsync(CancellationToken ct)
        {
            stop.TrySetResult("shutdown");
            return Task.CompletedTask;
        }

        public Task ShutdownNowAsync(CancellationToken ct)
        {
            if (!stop.TrySetResult("shutdown_now")) urgent.Cancel(); // during a drain: cut it
            return Task.CompletedTask;
        }
    }
}
