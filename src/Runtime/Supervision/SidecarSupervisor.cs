using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SidecarKit.Lifecycle;
using SidecarKit.Probes;
using SidecarKit.Processes;
using SidecarKit.Rpc;

namespace SidecarKit.Supervision;

/// <summary>
/// Keeps one sidecar running: starts it (on <see cref="StartAsync"/> or the first call), checks its liveness, restarts
/// it per policy with exponential backoff and an intensity limit, and gives out clients that follow the current
/// instance across restarts. Every transition is observable (<see cref="StateChanged"/>, <see cref="WatchAsync"/>).
/// </summary>
/// <example>
/// <code>
/// var options = new SidecarSupervisorOptions();
/// options.Process.Name = "demo";
/// options.Process.FileName = "dotnet";
/// options.Process.Arguments.Add("Demo.Sidecar.dll");
/// options.Process.UseJsonLines();
/// await using var supervisor = new SidecarSupervisor(options);
/// IDemo demo = supervisor.GetClient&lt;IDemo&gt;();   // survives restarts
/// await demo.AddAsync(1, 2);                        // starts the sidecar on first use
/// </code>
/// </example>
public sealed class SidecarSupervisor : IAsyncDisposable
{
    private readonly SidecarSupervisorOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RestartSchedule _schedule;
    private readonly SupervisedChannel _channel;
    private readonly object _gate = new();
    private readonly List<ContractDescriptor> _contracts = [];
    private readonly List<Channel<SidecarStateChange>> _watchers = [];
    private TaskCompletionSource<SidecarProcess> _ready = NewReady();
    private CancellationTokenSource? _runCts;
    private Task? _runLoop;
    private SidecarProcess? _current;
    private SidecarState _state = SidecarState.Stopped;
    private long _startedTimestamp;
    private int _restartCount;
    private bool _stopRequested;
    private bool _prepared; // the prepare command ran in this run of the loop: a restart does not run it again
    private int? _lastExitCode;
    private string? _lastError;
    private DateTimeOffset? _nextRetry;
    private IReadOnlyList<string> _lastOutput = [];

    /// <summary>Creates a supervisor; nothing starts until <see cref="StartAsync"/> or the first call.</summary>
    public SidecarSupervisor(SidecarSupervisorOptions options)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _time = options.TimeProvider;
        _logger = options.Process.LoggerFactory?.CreateLogger("SidecarKit.Supervisor") ?? NullLogger.Instance;
        _schedule = new RestartSchedule(options.Restart);
        _channel = new SupervisedChannel(this);
        Diagnostics.SidecarTelemetry.States.Track(this); // its state as a gauge, for as long as it lives
    }

    /// <summary>The sidecar's name.</summary>
    public string Name => _options.Process.Name;

    internal SidecarSupervisorOptions Options => _options;

    internal ILogger Logger => _logger;

    /// <summary>Raised on every state transition, on the thread that made it. Handlers must not block.</summary>
    public event EventHandler<SidecarStateChange>? StateChanged;

    /// <summary>A snapshot of the sidecar now.</summary>
    public SidecarStatus Status
    {
        get { lock (_gate) return Snapshot(); }
    }

    /// <summary>
    /// A client of <typeparamref name="TContract"/> that follows the current instance: calls made while the sidecar is
    /// restarting wait (within their timeout) for the next ready instance; calls in flight when an instance dies fail
    /// with <see cref="SidecarCrashedException"/>, except that methods marked idempotent are retried once.
    /// </summary>
    public TContract GetClient<TContract>() where TContract : class, ISidecarContract<TContract>
    {
        SidecarProcess? current;
        lock (_gate)
        {
            if (!_contracts.Contains(TContract.Descriptor)) _contracts.Add(TContract.Descriptor);
            current = _current;
        }
        if (current is { IsReady: true }) current.Negotiate(TContract.Descriptor);
        return TContract.CreateProxy(_channel);
    }

    /// <summary>
    /// Asks the current instance for a health snapshot (<c>system.ping</c>); while the sidecar is restarting the call
    /// waits for the next ready instance, as calls of <see cref="GetClient{TContract}"/> do.
    /// </summary>
    public Task<SidecarHealth> PingAsync(CancellationToken cancellationToken = default)
        => _channel.GetClient<ISidecarSystem>().PingAsync(cancellationToken);

    /// <summary>
    /// Starts the sidecar (again, after <see cref="SidecarState.Failed"/> or a stop) and waits until an instance is ready.
    /// </summary>
    /// <exception cref="SidecarException">The sidecar failed before any instance became ready.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate) _stopRequested = false;
        EnsureRunning();
        await WaitForReadyAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the sidecar gracefully (see <see cref="SidecarProcess.StopAsync"/>) and stops supervising it.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        CancellationTokenSource? cts;
        Task? loop;
        SidecarProcess? current;
        lock (_gate)
        {
            // From here on calls fail instead of starting a new instance (until StartAsync).
            _stopRequested = true;
            if (!_ready.Task.IsCompleted || _ready.Task.IsCompletedSuccessfully) _ready = NewReady();
            _ready.TrySetException(new SidecarException($"The sidecar '{Name}' was stopped; call StartAsync to start it again."));
            cts = _runCts;
            loop = _runLoop;
            current = _current;
            _runCts = null;
            _runLoop = null;
        }
        if (cts is null) return;
        SetState(SidecarState.Stopping);
        cts.Cancel();
        if (current is not null)
        {
            try { _lastExitCode = await current.StopAsync(cancellationToken).ConfigureAwait(false); }
            catch (Exception e) when (e is SidecarException or InvalidOperationException or OperationCanceledException)
            {
                _logger.LogDebug(e, "Stopping '{Name}' gracefully did not finish; killing it.", Name);
                await current.KillAsync().ConfigureAwait(false);
            }
            await current.DisposeAsync().ConfigureAwait(false);
        }
        if (loop is not null)
        {
            try { await loop.ConfigureAwait(false); }
            catch (OperationCanceledException) { }
        }
        cts.Dispose();
        lock (_gate) _current = null;
        SetState(SidecarState.Stopped);
    }

    /// <summary>Stops the sidecar.</summary>
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    /// <summary>
    /// Yields every state transition from the moment of this call on (it subscribes at once, before enumeration), until
    /// <paramref name="cancellationToken"/> fires.
    /// </summary>
    public IAsyncEnumerable<SidecarStateChange> WatchAsync(CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateUnbounded<SidecarStateChange>(new UnboundedChannelOptions { SingleReader = true });
        lock (_gate) _watchers.Add(channel);
        return ReadChangesAsync(channel, cancellationToken);
    }

    private async IAsyncEnumerable<SidecarStateChange> ReadChangesAsync(Channel<SidecarStateChange> channel, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            while (await channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (channel.Reader.TryRead(out SidecarStateChange? change))
                    yield return change;
            }
        }
        finally
        {
            lock (_gate) _watchers.Remove(channel);
        }
    }

    // ------------------------------------------------------------------ the run loop

    private void EnsureRunning()
    {
        lock (_gate)
        {
            if (_runLoop is not null && !_runLoop.IsCompleted) return;
            if (_ready.Task.IsCompleted) _ready = NewReady();
            _schedule.Reset();
            _runCts = new CancellationTokenSource();
            _prepared = false;
            CancellationToken token = _runCts.Token;
            _runLoop = Task.Run(() => RunAsync(token));
        }
    }

    internal async ValueTask<SidecarProcess> WaitForReadyAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            EnsureRunningUnlessFailed();
            Task<SidecarProcess> ready;
            lock (_gate) ready = _ready.Task;
            SidecarProcess instance = await ready.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (!instance.Exited.IsCompleted && !instance.IsConnectionLost)
                return instance;
            // This instance just died and the loop has not noticed yet: wait for the next one.
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
    }

    private void EnsureRunningUnlessFailed()
    {
        // On-demand start: the first call starts the sidecar. A failed sidecar stays failed until StartAsync.
        lock (_gate)
        {
            if (_runLoop is not null || _state == SidecarState.Failed || _stopRequested) return;
        }
        EnsureRunning();
    }

    private async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            SetState(SidecarState.Starting);
            SidecarProcess? instance = null;
            int? exitCode = null;
            bool unhealthy = false;
            string? error = null;
            TimeSpan uptime = TimeSpan.Zero;
            try
            {
                instance = await SidecarProcess.StartAsync(_options.Process, runPrepare: !_prepared, stop).ConfigureAwait(false);
                _prepared = true;
                string? mismatch = CheckContracts(instance);
                if (mismatch is not null)
                {
                    lock (_gate) _lastOutput = instance.StderrTail;
                    await instance.KillAsync().ConfigureAwait(false);
                    await instance.DisposeAsync().ConfigureAwait(false);
                    Fail(mismatch); // a rebuilt contract does not fix itself by restarting
                    return;
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (SidecarStartException e) when (e.BeforeSpawn || e.Incompatible)
            {
                lock (_gate) _lastOutput = e.BeforeSpawn ? [] : e.StderrTail;
                Fail(e.Message); // bad options (program not found, variable unset): retrying cannot help
                return;
            }
            catch (ArgumentException e)
            {
                Fail($"The sidecar '{Name}' is misconfigured: {e.Message}");
                return;
            }
            catch (SidecarStartException e)
            {
                exitCode = e.ExitCode;
                error = e.Message;
                lock (_gate) _lastOutput = e.StderrTail;
                _logger.LogWarning("The sidecar '{Name}' failed to start: {Error}", Name, e.Message);
            }

            if (instance is not null)
            {
                long started = _time.GetTimestamp();
                lock (_gate)
                {
                    _current = instance;
                    _startedTimestamp = started;
                    _ready.TrySetResult(instance);
                }
                SetState(SidecarState.Ready);
                using var healthStop = CancellationTokenSource.CreateLinkedTokenSource(stop);
                Task<bool> health = MonitorHealthAsync(instance, healthStop.Token);
                await ((Task)Task.WhenAny(instance.Exited, health).WaitAsync(stop)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (stop.IsCancellationRequested) return; // StopAsync stops the instance
                if (health.IsCompletedSuccessfully && health.Result && !instance.Exited.IsCompleted)
                {
                    unhealthy = true;
                    error = $"The sidecar '{Name}' (pid {instance.ProcessId}) failed {_options.HealthCheck.FailureThreshold} liveness checks in a row; it was killed.";
                    lock (_gate) _lastError = error;
                    SetState(SidecarState.Unhealthy);
                    _logger.LogWarning("{Error}", error);
                    await instance.KillAsync().ConfigureAwait(false);
                }
                healthStop.Cancel();
                exitCode = await instance.Exited.ConfigureAwait(false);
                if (stop.IsCancellationRequested) return; // it exited because StopAsync stopped it
                uptime = _time.GetElapsedTime(started);
                error ??= $"The sidecar '{Name}' (pid {instance.ProcessId}) exited with code {SidecarProcess.DescribeExit(exitCode.Value)} after {uptime.TotalSeconds:0.#} s.";
                lock (_gate)
                {
                    _current = null;
                    _lastOutput = instance.StderrTail;
                    if (_ready.Task.IsCompleted) _ready = NewReady();
                }
                await instance.DisposeAsync().ConfigureAwait(false);
            }

            lock (_gate)
            {
                _lastExitCode = exitCode;
                _lastError = error;
            }
            if (!_schedule.ShouldRestart(exitCode, unhealthy))
            {
                if (exitCode == 0 && !unhealthy)
                {
                    lock (_gate) _ready.TrySetException(new SidecarException($"The sidecar '{Name}' exited cleanly and its restart policy ({_options.Restart.Policy}) does not restart it."));
                    SetState(SidecarState.Stopped);
                }
                else Fail(error ?? "The sidecar stopped.");
                lock (_gate) { _runLoop = null; _runCts?.Dispose(); _runCts = null; }
                return;
            }
            TimeSpan? delay = _schedule.Next(_time.GetUtcNow(), uptime);
            if (delay is null)
            {
                Fail($"The sidecar '{Name}' was restarted {_options.Restart.MaxRestarts} times within {_options.Restart.IntensityWindow.TotalSeconds:0.#} s; giving up. Last error: {error}");
                return;
            }
            lock (_gate)
            {
                _restartCount++;
                _nextRetry = _time.GetUtcNow() + delay.Value;
            }
            Diagnostics.SidecarTelemetry.Restarts.Add(1, new KeyValuePair<string, object?>(Diagnostics.SidecarTelemetry.NameTag, Name));
            SetState(SidecarState.Restarting);
            _logger.LogInformation("Restarting '{Name}' in {Delay} ms (attempt {Attempt}).", Name, (long)delay.Value.TotalMilliseconds, _schedule.Attempt);
            try
            {
                await Task.Delay(delay.Value, _time, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            lock (_gate) _nextRetry = null;
        }
    }

    private void Fail(string error)
    {
        lock (_gate)
        {
            _lastError = error;
            _ready.TrySetException(new SidecarException(error));
            _runLoop = null;
        }
        _logger.LogError("The sidecar '{Name}' failed: {Error}", Name, error);
        SetState(SidecarState.Failed);
    }

    // The contracts asked for so far, checked against the new instance (which logs the compatible differences once).
    /// <summary>The <c>rpc.system</c> of the current instance's channel, for telemetry; null while none is ready.</summary>
    internal string? CurrentRpcSystem
    {
        get
        {
            SidecarProcess? current;
            lock (_gate) current = _current;
            return current is { IsReady: true, IsPlain: false } ? current.Channel.RpcSystem : null;
        }
    }

        private string? CheckContracts(SidecarProcess instance)
    {
        List<ContractDescriptor> contracts;
        lock (_gate) contracts = [.. _contracts];
        try
        {
            foreach (ContractDescriptor expected in contracts) instance.Negotiate(expected);
        }
        catch (SidecarContractException mismatch)
        {
            return mismatch.Message;
        }
        return null;
    }

    private async Task<bool> MonitorHealthAsync(SidecarProcess instance, CancellationToken cancellationToken)
    {
        SidecarHealthCheckOptions health = _options.HealthCheck;
        SidecarProbe? probe = health.Probe;
        if (!health.Enabled || (probe is null && instance.IsPlain))
        {
            // Never unhealthy, but still a task that ends only when the instance is done with: the run loop waits on it.
            try { await Task.Delay(Timeout.InfiniteTimeSpan, _time, cancellationToken).ConfigureAwait(false); }
            catch (OperationCanceledException) { }
            return false;
        }
        int failures = 0;
        probe?.Attach(instance.ProbeContext);
        try
        {
            if (health.InitialDelay > TimeSpan.Zero) await Task.Delay(health.InitialDelay, _time, cancellationToken).ConfigureAwait(false);
            using var timer = new PeriodicTimer(health.Interval, _time);
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                string? failure = probe is null
                    ? await PingAsync(instance, health.Timeout, cancellationToken).ConfigureAwait(false)
                    : await ProbeAsync(probe, instance, health.Timeout, cancellationToken).ConfigureAwait(false);
                if (failure is null)
                {
                    failures = 0;
                    continue;
                }
                failures++;
                Diagnostics.SidecarTelemetry.LivenessFailures.Add(1, new KeyValuePair<string, object?>(Diagnostics.SidecarTelemetry.NameTag, Name));
                _logger.LogWarning("Liveness check {Failures}/{Threshold} of '{Name}' failed: {Reason}", failures, health.FailureThreshold, Name, failure);
                if (failures >= health.FailureThreshold) return true;
            }
        }
        catch (OperationCanceledException) { }
        return false;
    }

    // One liveness check: null when it passed, else what failed.
    private static async Task<string?> PingAsync(SidecarProcess instance, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            using (SidecarCall.WithTimeout(timeout))
                await instance.PingAsync(cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (Exception e) when (e is TimeoutException or SidecarException && !cancellationToken.IsCancellationRequested)
        {
            return e.Message;
        }
    }

    private async Task<string?> ProbeAsync(SidecarProbe probe, SidecarProcess instance, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(timeout);
        try
        {
            SidecarProbeResult result = await probe.CheckAsync(instance.ProbeContext, attempt.Token).ConfigureAwait(false);
            return result.Passed ? null : $"{probe.Description}: {result.Detail ?? "failed"}";
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"{probe.Description}: no answer within {timeout.TotalMilliseconds:0} ms";
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            _logger.LogDebug(e, "The liveness probe of '{Name}' threw.", Name);
            return $"{probe.Description}: {e.Message}";
        }
    }

    // ------------------------------------------------------------------ state

    private static TaskCompletionSource<SidecarProcess> NewReady() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SidecarStatus Snapshot()
    {
        SidecarProcess? current = _current;
        return new SidecarStatus(
            Name,
            _state,
            current?.ProcessId,
            current is not null && current.IsReady ? current.ReadyInfo.InstanceId : null,
            current is null ? TimeSpan.Zero : _time.GetElapsedTime(_startedTimestamp),
            _restartCount,
            _schedule.Attempt,
            _nextRetry,
            _lastExitCode,
            _lastError,
            current?.StderrTail ?? _lastOutput,
            current is not null && current.IsReady ? current.ReadyInfo : null)
        {
            CallsInFlight = _channel.InFlight.Count,
        };
    }

    private void SetState(SidecarState state)
    {
        SidecarStateChange change;
        Channel<SidecarStateChange>[] watchers;
        lock (_gate)
        {
            SidecarState previous = _state;
            _state = state;
            change = new SidecarStateChange(previous, Snapshot(), _time.GetUtcNow());
            watchers = [.. _watchers];
        }
        foreach (Channel<SidecarStateChange> w in watchers) w.Writer.TryWrite(change);
        try { StateChanged?.Invoke(this, change); }
        catch (Exception e) { _logger.LogError(e, "A StateChanged handler of '{Name}' failed.", Name); }
    }
}
