using System.Collections.Frozen;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SidecarKit.Lifecycle;
using SidecarKit.Processes;
using SidecarKit.Rpc;
using SidecarKit.Supervision;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace SidecarKit.Transports.Grpc;

/// <summary>
/// A sidecar this process did not start, reached over gRPC at an address (another container, another pod, a sidecar
/// left running by this process's previous run): the same generated proxies, the same readiness check as a started
/// sidecar (health <c>SERVING</c>, then the ready data of <c>system.ready</c>: protocol, instance, contracts and callback
/// contracts, checked against this build), the same typed errors. It is watched (liveness checks; <see cref="StateChanged"/>)
/// and reconnected to with backoff when lost; calls made meanwhile wait for it within their budget, and idempotent
/// ones that lost the connection are retried once. It is never restarted or killed from here, except by
/// <see cref="StopAsync"/>. Disposing detaches: the sidecar keeps running.
/// </summary>
/// <example>
/// <code>
/// await using AttachedSidecar demo = await AttachedSidecar.AttachAsync(new SidecarAttachOptions
/// {
///     Name = "demo",
///     Address = "demo-sidecar.prod.svc:50051",
///     Client = { Token = token, Tls = { CertificateAuthorityPath = "/etc/demo/ca.pem" } },
/// });
/// int sum = await demo.GetClient&lt;IDemo&gt;().AddAsync(2, 3);
/// </code>
/// </example>
public sealed class AttachedSidecar : IAsyncDisposable
{
    private readonly SidecarAttachOptions _options;
    private readonly GrpcSidecarChannel _grpc;
    private readonly AttachedChannel _channel;
    private readonly ILogger _logger;
    private readonly RestartSchedule _backoff;
    private readonly Metadata _healthHeaders = [];
    private readonly Lock _gate = new();
    private readonly List<ContractDescriptor> _contracts = [];
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource<RpcChannel> _ready = NewReady();
    private TaskCompletionSource _kick = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private SidecarReadyInfo? _readyInfo;
    private RpcChannel? _target;            // the gRPC channel, behind a guard when the sidecar lacks methods of a contract
    private SidecarState _state = SidecarState.Starting;
    private long _readySince;
    private int _reconnects;
    private int _attempt;
    private DateTimeOffset? _nextRetry;
    private string? _lastError;
    private Task _monitor = Task.CompletedTask;
    private int _disposed;
    private bool _ending;   // StopAsync or DisposeAsync began: no transition back to Ready (under _gate)

    private AttachedSidecar(SidecarAttachOptions options)
    {
        _options = options;
        _logger = (options.Client.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("SidecarKit.Attach");
        // grpc-dotnet reconnects a TCP address with a backoff of its own (up to two minutes), during which calls and
        // checks fail at once: it follows the attachment's instead, so a sidecar that is back is found as promised.
        GrpcClientOptions client = options.Client.Copy();
        Action<GrpcChannelOptions>? configure = client.ConfigureChannel;
        client.ConfigureChannel = channel =>
        {
            channel.InitialReconnectBackoff = options.ReconnectDelay;
            channel.MaxReconnectBackoff = options.MaxReconnectDelay;
            configure?.Invoke(channel);
        };
        _grpc = GrpcSidecarChannel.Create(options.Address, client);
        _channel = new AttachedChannel(this);
        _backoff = new RestartSchedule(new SidecarRestartOptions { InitialDelay = options.ReconnectDelay, MaxDelay = options.MaxReconnectDelay, Multiplier = 2, Jitter = 0.1 });
        if (options.Client.Token is { } token) _healthHeaders.Add("authorization", "Bearer " + token);
    }

    /// <summary>
    /// Attaches to the sidecar at <see cref="SidecarAttachOptions.Address"/> once it is ready: health answers
    /// <c>SERVING</c> and <c>system.ready</c> gives its ready data (the protocol it speaks, its instance, its contracts).
    /// </summary>
    /// <exception cref="SidecarStartException">It was not ready within <see cref="SidecarAttachOptions.ReadyTimeout"/> (the last check's failure is in the message), it is another instance than <see cref="SidecarAttachOptions.InstanceId"/>, or it speaks another protocol.</exception>
    public static async Task<AttachedSidecar> AttachAsync(SidecarAttachOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.Address, "options.Address");
        Validate(options);
        long started = Environment.TickCount64;
        var sidecar = new AttachedSidecar(options);
        try
        {
            SidecarReadyInfo info = await sidecar.WaitUntilReadyAsync(cancellationToken).ConfigureAwait(false);
            if (options.InstanceId is { } expected && info.InstanceId != expected)
                throw new SidecarStartException($"The sidecar '{options.Name}' at {options.Address} is instance {info.InstanceId ?? "(none)"} (pid {info.Pid}), not the expected {expected}: another sidecar answers at that address.", null, []);
            if (sidecar.Refusal(info) is { } refusal) throw new SidecarStartException(refusal, null, []);
            sidecar.BecomeReady(info);
            // Callbacks work from the first call on: the subscription is taken within what is left of ReadyTimeout.
            TimeSpan left = options.ReadyTimeout - TimeSpan.FromMilliseconds(Environment.TickCount64 - started);
            try { await sidecar._grpc.ConnectAsync(cancellationToken).WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, cancellationToken).ConfigureAwait(false); }
            catch (TimeoutException)
            {
                throw new SidecarStartException($"The sidecar '{options.Name}' at {options.Address} did not take the callbacks' subscription within {options.ReadyTimeout.TotalSeconds:0.#} s.", null, []);
            }
            sidecar._monitor = Task.Run(() => sidecar.MonitorAsync(sidecar._stop.Token), CancellationToken.None);
            sidecar._logger.LogInformation("Attached to '{Name}' at {Address}: instance {Instance} (pid {Pid}), {Contracts}.",
                options.Name, options.Address, info.InstanceId, info.Pid, string.Join(", ", info.Contracts ?? []));
            return sidecar;
        }
        catch
        {
            await sidecar.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static void Validate(SidecarAttachOptions o)
    {
        static void Positive(TimeSpan value, string name)
        {
            if (value <= TimeSpan.Zero) throw new ArgumentOutOfRangeException("options." + name, value, "must be positive.");
        }
        Positive(o.ReadyTimeout, nameof(o.ReadyTimeout));
        Positive(o.CheckTimeout, nameof(o.CheckTimeout));
        Positive(o.ReconnectDelay, nameof(o.ReconnectDelay));
        Positive(o.WaitForReadyTimeout, nameof(o.WaitForReadyTimeout));
        Positive(o.ShutdownTimeout, nameof(o.ShutdownTimeout));
        if (o.LivenessInterval != Timeout.InfiniteTimeSpan) Positive(o.LivenessInterval, nameof(o.LivenessInterval));
        if (o.MaxReconnectDelay < o.ReconnectDelay)
            throw new ArgumentOutOfRangeException("options." + nameof(o.MaxReconnectDelay), o.MaxReconnectDelay, "must not be shorter than ReconnectDelay.");
        if (o.LivenessFailureThreshold < 1)
            throw new ArgumentOutOfRangeException("options." + nameof(o.LivenessFailureThreshold), o.LivenessFailureThreshold, "must be at least 1.");
    }

    /// <summary>The sidecar's name.</summary>
    public string Name => _options.Name;

    /// <summary>Where it is reached.</summary>
    public string Address => _options.Address;

    /// <summary>What the sidecar's current instance said of itself (<c>system.ready</c>).</summary>
    public SidecarReadyInfo ReadyInfo
    {
        get { lock (_gate) return _readyInfo!; }
    }

    /// <summary>
    /// Where the sidecar is: <see cref="SidecarState.Ready"/>; <see cref="SidecarState.Unhealthy"/> from a call that lost the
    /// connection until the check it triggers; <see cref="SidecarState.Restarting"/> while it is lost and
    /// being reconnected to (<see cref="SidecarStatus.Attempt"/>, <see cref="SidecarStatus.NextRetry"/>);
    /// <see cref="SidecarState.Failed"/> when the instance that came back serves an incompatible contract;
    /// <see cref="SidecarState.Stopping"/>/<see cref="SidecarState.Stopped"/> after <see cref="StopAsync"/> or disposal.
    /// </summary>
    public SidecarState State
    {
        get { lock (_gate) return _state; }
    }

    /// <summary>
    /// A snapshot, as a supervisor gives one; <see cref="SidecarStatus.RestartCount"/> counts the times the sidecar was
    /// found again after a loss (no exit code or output: the process is not this one's child).
    /// </summary>
    public SidecarStatus Status
    {
        get { lock (_gate) return Snapshot(); }
    }

    /// <summary>Raised on every state transition, on the thread that made it. Handlers must not block.</summary>
    public event EventHandler<SidecarStateChange>? StateChanged;

    /// <summary>Whether <c>SidecarReattach.StartOrReattachAsync</c> found this sidecar running rather than starting it.</summary>
    public bool Reattached { get; internal set; }

    /// <summary>The process this attachment's <c>SidecarReattach</c> started (detached): its output is forwarded until the attachment is disposed.</summary>
    internal SidecarProcess? Spawned { get; set; }

    /// <summary>The reattach record kept up to date with the current instance (set by <c>SidecarReattach</c>), removed by <see cref="StopAsync"/>.</summary>
    internal string? RecordPath { get; set; }

    /// <summary>The record this attachment would reattach from: the current instance's pid and id, the address and the token.</summary>
    public SidecarReattachRecord ToReattachRecord()
    {
        SidecarReadyInfo info = ReadyInfo;
        return new SidecarReattachRecord(Name, info.Pid, info.InstanceId ?? "", info.Transport ?? "grpc", Address, _options.Client.Token);
    }

    /// <summary>
    /// A client of <typeparamref name="TContract"/> that follows the sidecar across reconnections. The contract is
    /// checked against what the current instance serves (the last one seen, while the sidecar is lost), and again
    /// whenever a new instance answers.
    /// </summary>
    /// <exception cref="SidecarContractException">The sidecar does not serve the contract, or serves it incompatibly.</exception>
    public TContract GetClient<TContract>() where TContract : class, ISidecarContract<TContract>
    {
        lock (_gate)
        {
            if (!_contracts.Contains(TContract.Descriptor))
            {
                if (_readyInfo is { } info)
                {
                    if (ServedContracts.Negotiate(Name, info, TContract.Descriptor, _options.ContractCompatibility).Error is { } error) throw error;
                    if (_state == SidecarState.Ready)
                    {
                        _target = Guard(info, [.. _contracts, TContract.Descriptor]);
                        _ready = Completed(_target);
                    }
                }
                _contracts.Add(TContract.Descriptor);
            }
        }
        return TContract.CreateProxy(_channel);
    }

    /// <summary>Asks the sidecar for a health snapshot (<c>system.ping</c>), waiting for it while it is lost.</summary>
    public Task<SidecarHealth> PingAsync(CancellationToken cancellationToken = default)
        => _channel.GetClient<ISidecarSystem>().PingAsync(cancellationToken);

    /// <summary>
    /// Stops the sidecar: <c>system.shutdown</c> (the calls in flight finish). A sidecar that <c>SidecarReattach</c>
    /// started (its recorded process runs here, detached, with its token) is then waited for within
    /// <see cref="SidecarAttachOptions.ShutdownTimeout"/>, sent SIGTERM, and killed after as long again, and its reattach
    /// record is removed; one only attached to is never signalled (its pid may belong to another container). The
    /// attachment is stopped too.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        SidecarReadyInfo? info;
        lock (_gate)
        {
            info = _readyInfo;
            _ending = true;   // from here on nothing makes it ready again
            SetStateLocked(SidecarState.Stopping, null);
        }
        await EndMonitorAsync().ConfigureAwait(false);
        lock (_gate) FailWaiters(new SidecarException($"The sidecar '{Name}' was stopped."));
        try
        {
            using (SidecarCall.WithTimeout(_options.ShutdownTimeout))
                await _grpc.GetClient<ISidecarSystem>().ShutdownAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SidecarException or TimeoutException)
        {
            _logger.LogWarning("system.shutdown to '{Name}' failed: {Reason}", Name, e.Message);
        }
        if (info is not null && CanSignal(info))
        {
            int pid = info.Pid;
            if (!await ExitedWithinAsync(pid, _options.ShutdownTimeout, cancellationToken).ConfigureAwait(false))
            {
                _logger.LogWarning("The sidecar '{Name}' (pid {Pid}) did not exit after system.shutdown; sending SIGTERM.", Name, pid);
                Interop.Posix.Signal(pid, Interop.Posix.SIGTERM);
                if (!await ExitedWithinAsync(pid, _options.ShutdownTimeout, cancellationToken).ConfigureAwait(false))
                {
                    _logger.LogWarning("The sidecar '{Name}' (pid {Pid}) did not exit after SIGTERM; killing it.", Name, pid);
                    Interop.Posix.Signal(pid, Interop.Posix.SIGKILL);
                    await ExitedWithinAsync(pid, TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
                }
            }
        }
        if (RecordPath is { } path)
        {
            try { File.Delete(path); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { _logger.LogWarning("Could not remove the reattach record {Path}: {Reason}", path, e.Message); }
        }
        lock (_gate) SetStateLocked(SidecarState.Stopped, null);
    }

    // Stops the checks and waits for the loop, so that no adoption in progress makes the attachment ready again.
    private async Task EndMonitorAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try { await _monitor.ConfigureAwait(false); }
        catch (OperationCanceledException) { }
    }

    // Signals go only to a sidecar SidecarReattach started: its record's pid, in this pid namespace, is a process that
    // was started detached with this token, and is not this process. A sidecar merely attached to may run in another
    // container whose pids mean nothing here (pid 1 there is this app here, and a pod's containers may share the
    // token's Secret): it is only asked to shut down.
    private bool CanSignal(SidecarReadyInfo info)
        => RecordPath is not null && info.Pid != Environment.ProcessId && SidecarReattachRecord.RunsDetached(info.Pid, _options.Client.Token);

    private static async Task<bool> ExitedWithinAsync(int pid, TimeSpan time, CancellationToken cancellationToken)
    {
        long end = Environment.TickCount64 + (long)time.TotalMilliseconds;
        while (Interop.Posix.IsRunning(pid))
        {
            if (Environment.TickCount64 >= end) return false;
            await Task.Delay(25, cancellationToken).ConfigureAwait(false);
        }
        return true;
    }

    /// <summary>Detaches: stops watching and closes the connection. The sidecar keeps running (use <see cref="StopAsync"/> to stop it).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        lock (_gate) _ending = true;
        await EndMonitorAsync().ConfigureAwait(false);
        lock (_gate) FailWaiters(new ObjectDisposedException(nameof(AttachedSidecar), $"The attachment to '{Name}' was disposed."));
        await _grpc.DisposeAsync().ConfigureAwait(false);
        if (Spawned is { } spawned) await spawned.DisposeAsync().ConfigureAwait(false);   // detached: releases its pipes only
        lock (_gate)
        {
            if (_state != SidecarState.Stopped) SetStateLocked(SidecarState.Stopped, null);
        }
    }

    // ---- readiness -------------------------------------------------------------------------------------------------

    private async Task<SidecarReadyInfo> WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ReadyTimeout);
        string failure = "no check finished";
        try
        {
            while (true)
            {
                (SidecarReadyInfo? info, string? why) = await CheckAsync(timeout.Token).ConfigureAwait(false);
                if (info is not null) return info;
                failure = why!;
                await Task.Delay(100, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SidecarStartException($"The sidecar '{Name}' at {Address} was not ready within {_options.ReadyTimeout.TotalSeconds:0.#} s (last check: {failure}).", null, []);
        }
    }

    // One check: the server's health answers SERVING, then system.ready says which instance serves what.
    private async Task<(SidecarReadyInfo? Info, string? Failure)> CheckAsync(CancellationToken cancellationToken)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(_options.CheckTimeout);
        try
        {
            var health = new Health.HealthClient(_grpc.Invoker);
            HealthCheckResponse response = await health.CheckAsync(new HealthCheckRequest(), _healthHeaders, cancellationToken: attempt.Token).ConfigureAwait(false);
            if (response.Status != ServingStatus.Serving) return (null, $"health answers {response.Status}");
            using (SidecarCall.WithTimeout(_options.CheckTimeout))
                return (await _grpc.GetClient<ISidecarSystem>().ReadyAsync(attempt.Token).ConfigureAwait(false), null);
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, $"health: {e.StatusCode}: {e.Status.Detail}");
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is SidecarException or TimeoutException or OperationCanceledException)
        {
            return (null, e switch
            {
                OperationCanceledException => $"no answer within {_options.CheckTimeout.TotalSeconds:0.#} s",
                GrpcStatusException status => $"system.ready: {status.Status}: {status.Message}",
                _ => e.Message,
            });
        }
        catch (Exception e) when (cancellationToken.IsCancellationRequested && e is not OperationCanceledException)
        {
            throw new OperationCanceledException("The check was cancelled.", e, cancellationToken);   // grpc-dotnet says so with a status
        }
    }

    // The handshake's checks besides the contracts called (those are checked per client): the protocol, and the
    // callback contracts the sidecar calls here (an incompatible one refuses; one not served here is a warning, as the
    // sidecar's calls of it will fail).
    private string? Refusal(SidecarReadyInfo info)
    {
        if (!SidecarReadyInfo.SpeaksProtocol(info.ProtocolVersion))
            return $"The sidecar '{Name}' speaks SidecarKit protocol {info.ProtocolVersion}; this parent speaks {SidecarReadyInfo.CurrentProtocolVersion}: update the side with the older SidecarKit.";
        CallbackCheck callbacks = ServedContracts.CheckCallbacks(Name, info, _options.Client.Callbacks ?? s_noCallbacks, _options.ContractCompatibility);
        foreach (string report in callbacks.Reports) _logger.LogInformation("{Report}", report);
        foreach (string unregistered in callbacks.Unregistered) _logger.LogWarning("{Problem}", unregistered);
        return callbacks.Breaking;
    }

    private static readonly RpcHandlerTable s_noCallbacks = new();

    // The contracts asked for so far, checked against what this instance serves: the channel to call (guarded when
    // methods are missing), or the contract error.
    private RpcChannel Guard(SidecarReadyInfo info, IEnumerable<ContractDescriptor> contracts)
    {
        var missing = new HashSet<string>(StringComparer.Ordinal);
        foreach (ContractDescriptor contract in contracts.Distinct())
        {
            NegotiatedContract outcome = ServedContracts.Negotiate(Name, info, contract, _options.ContractCompatibility);
            if (outcome.Error is { } error) throw error;
            if (outcome.Report is { } report) _logger.LogInformation("{Report}", report);
            missing.UnionWith(outcome.MissingOnSidecar);
        }
        return missing.Count == 0 ? _grpc : new MissingMethodsChannel(_grpc, missing.ToFrozenSet(StringComparer.Ordinal), Name, info.Version);
    }

    private void BecomeReady(SidecarReadyInfo info)
    {
        lock (_gate)
        {
            if (_ending) return;
            _target = Guard(info, _contracts);
            _readyInfo = info;
            _readySince = Environment.TickCount64;
            _attempt = 0;
            _nextRetry = null;
            if (!_ready.Task.IsCompleted) _ready.TrySetResult(_target);
            else _ready = Completed(_target);
            SetStateLocked(SidecarState.Ready, null);
        }
    }

    // ---- liveness and reconnection ----------------------------------------------------------------------------------

    /// <summary>
    /// A call lost the connection: calls from now on wait (<see cref="SidecarState.Unhealthy"/>) until a check, made at
    /// once rather than at the next interval, finds the sidecar again.
    /// </summary>
    internal void ReportConnectionLoss()
    {
        lock (_gate)
        {
            if (_state != SidecarState.Ready) return;
            _ready = NewReady();
            SetStateLocked(SidecarState.Unhealthy, "a call lost the connection");
        }
        Volatile.Read(ref _kick).TrySetResult();
    }

    private async Task MonitorAsync(CancellationToken stop)
    {
        int failures = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                Task kicked = Volatile.Read(ref _kick).Task;
                // A Failed attachment keeps looking for a compatible instance, whatever the liveness interval.
                TimeSpan wait = State == SidecarState.Failed && _options.LivenessInterval == Timeout.InfiniteTimeSpan
                    ? _options.MaxReconnectDelay : _options.LivenessInterval;
                if (wait == Timeout.InfiniteTimeSpan) await kicked.WaitAsync(stop).ConfigureAwait(false);
                else await Task.WhenAny(kicked, Task.Delay(wait, stop)).ConfigureAwait(false);
                stop.ThrowIfCancellationRequested();
                bool wasKicked = kicked.IsCompleted;
                if (wasKicked) Interlocked.Exchange(ref _kick, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

                (SidecarReadyInfo? info, string? failure) = await CheckAsync(stop).ConfigureAwait(false);
                if (info is not null)
                {
                    failures = 0;
                    SidecarReadyInfo? current;
                    lock (_gate) current = _readyInfo;
                    // Restarted between two checks, or back after a call lost the connection.
                    if (info.InstanceId != current?.InstanceId || State == SidecarState.Unhealthy) Adopt(info);
                    continue;
                }
                if (++failures < _options.LivenessFailureThreshold && !wasKicked) continue;
                _logger.LogWarning("The sidecar '{Name}' at {Address} is lost ({Reason}); reconnecting.", Name, Address, failure);
                await ReconnectAsync(failure!, stop).ConfigureAwait(false);
                failures = 0;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The checks must go on: a failure of this loop would leave the attachment unwatched for good.
                _logger.LogError(e, "The liveness check of '{Name}' failed; checking again.", Name);
                await Task.Delay(_options.ReconnectDelay, stop).ConfigureAwait(false);
            }
        }
    }

    private async Task ReconnectAsync(string failure, CancellationToken stop)
    {
        lock (_gate)
        {
            if (_ending) return;
            if (_ready.Task.IsCompleted) _ready = NewReady();
            _lastError = failure;
        }
        for (int attempt = 1; ; attempt++)
        {
            TimeSpan delay = _backoff.Delay(attempt);
            lock (_gate)
            {
                if (_ending) return;
                _attempt = attempt;
                _nextRetry = _options.TimeProvider.GetUtcNow() + delay;
                SetStateLocked(SidecarState.Restarting, _lastError);
            }
            await Task.Delay(delay, stop).ConfigureAwait(false);
            (SidecarReadyInfo? info, string? why) = await CheckAsync(stop).ConfigureAwait(false);
            if (info is null)
            {
                lock (_gate) _lastError = why;
                continue;
            }
            Adopt(info);
            return;
        }
    }

    // An instance answered: the same one after a lost connection, or a new one (the sidecar was restarted by whoever
    // runs it). A new one is checked as at the attach; an incompatible one leaves the attachment Failed until another
    // instance answers.
    private void Adopt(SidecarReadyInfo info)
    {
        SidecarReadyInfo? before;
        lock (_gate)
        {
            before = _readyInfo;
            _reconnects++;
        }
        if (info.InstanceId != before?.InstanceId)
            _logger.LogInformation("The sidecar '{Name}' at {Address} is a new instance: {Instance} (pid {Pid}), was {Before}.", Name, Address, info.InstanceId, info.Pid, before?.InstanceId);
        SidecarException? refusal = Refusal(info) is { } disagreement ? new SidecarException(disagreement) : null;
        if (refusal is null)
        {
            try
            {
                BecomeReady(info);
                lock (_gate) if (_ending) return;   // stopped meanwhile: its record is gone for good
                if (RecordPath is { } path && info.InstanceId != before?.InstanceId) ToReattachRecord().Save(path);   // the record follows the instance
                return;
            }
            catch (SidecarContractException e) { refusal = e; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _logger.LogWarning("Could not update the reattach record {Path}: {Reason}", RecordPath, e.Message);
                return;
            }
        }
        _logger.LogError("The sidecar '{Name}' at {Address} cannot be used: {Reason}", Name, Address, refusal.Message);
        lock (_gate)
        {
            if (_ending) return;
            _readyInfo = info;
            FailWaiters(refusal);
            SetStateLocked(SidecarState.Failed, refusal.Message);
        }
    }

    // ---- calls --------------------------------------------------------------------------------------------------------

    /// <summary>The channel of the ready sidecar; waits (within the call's budget and <see cref="SidecarAttachOptions.WaitForReadyTimeout"/>) while it is lost.</summary>
    internal ValueTask<RpcChannel> WaitForReadyAsync(MethodDescriptor method, RpcCallOptions options, CancellationToken cancellationToken)
    {
        Task<RpcChannel> ready;
        lock (_gate) ready = _ready.Task;
        if (ready.IsCompletedSuccessfully) return new(ready.Result);
        return new(WaitAsync(ready, method, options, cancellationToken));
    }

    private async Task<RpcChannel> WaitAsync(Task<RpcChannel> ready, MethodDescriptor method, RpcCallOptions options, CancellationToken cancellationToken)
    {
        TimeSpan remaining = options.Remaining;
        TimeSpan limit = _options.WaitForReadyTimeout;
        bool budgetFirst = remaining != Timeout.InfiniteTimeSpan && remaining <= limit;
        try
        {
            return await ready.WaitAsync(budgetFirst ? remaining : limit, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw budgetFirst ? options.TimedOut(method) : new SidecarTimeoutException(method.WireName, limit);
        }
    }

    internal ILogger Logger => _logger;

    internal TimeSpan DefaultCallTimeout => _grpc.DefaultCallTimeout;

    // ---- state ----------------------------------------------------------------------------------------------------------

    private void FailWaiters(Exception error)
    {
        if (_ready.Task.IsCompleted) _ready = NewReady();
        _ready.TrySetException(error);
        _ = _ready.Task.Exception;   // observed: nobody may be waiting
    }

    // Raised under the lock, so that handlers see the transitions in order; a new reconnection attempt is a transition too.
    private void SetStateLocked(SidecarState state, string? error)
    {
        if (error is not null) _lastError = error;
        if (_state == state && state != SidecarState.Restarting) return;
        SidecarState previous = _state;
        _state = state;
        try { StateChanged?.Invoke(this, new SidecarStateChange(previous, Snapshot(), _options.TimeProvider.GetUtcNow())); }
        catch (Exception e) { _logger.LogError(e, "A StateChanged handler of '{Name}' failed.", Name); }
    }

    private SidecarStatus Snapshot() => new(
        Name, _state, _readyInfo?.Pid, _readyInfo?.InstanceId,
        _state == SidecarState.Ready ? TimeSpan.FromMilliseconds(Environment.TickCount64 - _readySince) : TimeSpan.Zero,
        _reconnects, _state == SidecarState.Restarting ? _attempt : 0, _state == SidecarState.Restarting ? _nextRetry : null,
        null, _lastError, [], _readyInfo);

    private static TaskCompletionSource<RpcChannel> NewReady() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static TaskCompletionSource<RpcChannel> Completed(RpcChannel channel)
    {
        TaskCompletionSource<RpcChannel> ready = NewReady();
        ready.SetResult(channel);
        return ready;
    }
}
