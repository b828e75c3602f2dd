using System.Diagnostics;
using SidecarKit.Processes;
using SidecarKit.Samples.Demo;
using SidecarKit.Supervision;
using SidecarKit.Tests.Support;
using SidecarKit.Transports.JsonLines;

namespace SidecarKit.EndToEnd.Tests;

/// <summary>Supervision against real demo sidecar processes: crash and restart, liveness, intensity, clean exits.</summary>
public class SupervisorTests
{
    private static SidecarSupervisorOptions Options(Action<SidecarSupervisorOptions>? configure = null, SidecarCarrier? messagePack = null)
    {
        var options = new SidecarSupervisorOptions
        {
            Process = messagePack is { } carrier ? MessagePackSidecarTests.Options(carrier) : DemoSidecar.Options(),
        };
        options.Restart.InitialDelay = TimeSpan.FromMilliseconds(50);
        options.Restart.Jitter = 0;
        options.HealthCheck.Enabled = false;
        configure?.Invoke(options);
        return options;
    }

    private static async Task<List<SidecarState>> Until(SidecarSupervisor supervisor, IAsyncEnumerable<SidecarStateChange> watch, Func<SidecarStateChange, bool> done)
    {
        var seen = new List<SidecarState>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await foreach (SidecarStateChange change in watch.WithCancellation(timeout.Token))
        {
            seen.Add(change.Status.State);
            if (done(change)) break;
        }
        return seen;
    }

    [Theory]
    [InlineData(null)]
    [InlineData(SidecarCarrier.UnixSocket)]
    [InlineData(SidecarCarrier.NamedPipe)]
    public async Task A_crash_fails_calls_in_flight_and_the_client_carries_on_with_the_next_instance(SidecarCarrier? messagePack)
    {
        await using var supervisor = new SidecarSupervisor(Options(messagePack: messagePack));
        IDemo demo = supervisor.GetClient<IDemo>();
        Assert.Equal(3, await demo.AddAsync(1, 2)); // on-demand start
        int firstPid = supervisor.Status.Pid!.Value;
        Task<string> inFlight = demo.SleepAsync(60_000);
        await DemoSidecarTests.Eventually(() => supervisor.Status.State == SidecarState.Ready, "ready");

        Task exit = demo.ExitAsync(7);
        var crash = await Assert.ThrowsAsync<SidecarCrashedException>(() => inFlight).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(7, crash.ExitCode);
        await Assert.ThrowsAsync<SidecarCrashedException>(() => exit);

        Assert.Equal(5, await demo.AddAsync(2, 3)); // waits for the restarted instance
        SidecarStatus status = supervisor.Status;
        Assert.Equal(SidecarState.Ready, status.State);
        Assert.NotEqual(firstPid, status.Pid);
        Assert.Equal(1, status.RestartCount);
        Assert.Equal(7, status.LastExitCode);
        Assert.Contains("exited with code 7", status.LastError);
    }

    [Fact]
    public async Task A_stopped_sidecar_is_found_unhealthy_killed_and_restarted()
    {
        await using var supervisor = new SidecarSupervisor(Options(o =>
        {
            o.HealthCheck.Enabled = true;
            o.HealthCheck.Interval = TimeSpan.FromMilliseconds(200);
            o.HealthCheck.Timeout = TimeSpan.FromMilliseconds(300);
            o.HealthCheck.FailureThreshold = 3;
        }));
        IAsyncEnumerable<SidecarStateChange> watch = supervisor.WatchAsync();
        await supervisor.StartAsync();
        int pid = supervisor.Status.Pid!.Value;
        Task<List<SidecarState>> seen = Until(supervisor, watch, c => c.Status.State == SidecarState.Ready && c.Status.Pid != pid);
        Assert.Equal(0, Native.kill(pid, Native.SIGSTOP)); // a hung sidecar: alive, answering nothing

        List<SidecarState> states = await seen;
        Assert.Equal([SidecarState.Unhealthy, SidecarState.Restarting, SidecarState.Starting, SidecarState.Ready], states.SkipWhile(s => s != SidecarState.Unhealthy));
        await DemoSidecarTests.Eventually(() => !Directory.Exists($"/proc/{pid}"), "the stopped instance to be killed and reaped");
        Assert.Contains("liveness checks", supervisor.Status.LastError);
        Assert.Equal(4, await supervisor.GetClient<IDemo>().AddAsync(2, 2));
    }

    [Fact]
    public async Task Too_many_restarts_within_the_window_is_failed_until_started_again()
    {
        var options = Options(o =>
        {
            o.Restart.MaxRestarts = 2;
            o.Process.Arguments.Clear();
            o.Process.Arguments.Add(Path.Combine(Path.GetTempPath(), "missing-" + Guid.NewGuid() + ".dll")); // exits before ready
        });
        await using var supervisor = new SidecarSupervisor(options);
        IAsyncEnumerable<SidecarStateChange> watch = supervisor.WatchAsync();
        var e = await Assert.ThrowsAnyAsync<SidecarException>(() => supervisor.StartAsync());
        Assert.Contains("giving up", e.Message);
        Assert.Equal(SidecarState.Failed, supervisor.Status.State);
        Assert.Equal(2, supervisor.Status.RestartCount);
        Assert.NotEmpty(supervisor.Status.RecentOutput);
        // Failed stays failed: calls do not start it again.
        await Assert.ThrowsAnyAsync<SidecarException>(() => supervisor.GetClient<IDemo>().AddAsync(1, 1));
        Assert.Equal(SidecarState.Failed, supervisor.Status.State);

        // Fixed and started by hand: it runs.
        options.Process.Arguments.Clear();
        options.Process.Arguments.Add(DemoSidecar.DllPath);
        await supervisor.StartAsync();
        Assert.Equal(2, await supervisor.GetClient<IDemo>().AddAsync(1, 1));
    }

    [Fact]
    public async Task On_failure_does_not_restart_a_clean_exit()
    {
        await using var supervisor = new SidecarSupervisor(Options());
        IDemo demo = supervisor.GetClient<IDemo>();
        await supervisor.StartAsync();
        await Assert.ThrowsAsync<SidecarCrashedException>(() => demo.ExitAsync(0));
        await DemoSidecarTests.Eventually(() => supervisor.Status.State == SidecarState.Stopped, "stopped");
        Assert.Equal(0, supervisor.Status.LastExitCode);
        Assert.Equal(0, supervisor.Status.RestartCount);
    }

    [Fact]
    public async Task Backoff_waits_on_the_supervisors_clock()
    {
        var clock = new FakeTimeProvider();
        await using var supervisor = new SidecarSupervisor(Options(o =>
        {
            o.TimeProvider = clock;
            o.Restart.InitialDelay = TimeSpan.FromSeconds(10);
        }));
        IDemo demo = supervisor.GetClient<IDemo>();
        await supervisor.StartAsync();
        DateTimeOffset crashedAt = clock.GetUtcNow();
        await Assert.ThrowsAsync<SidecarCrashedException>(() => demo.ExitAsync(1));
        await DemoSidecarTests.Eventually(() => supervisor.Status.State == SidecarState.Restarting && clock.PendingTimers > 0, "restarting");
        SidecarStatus status = supervisor.Status;
        Assert.Equal(1, status.Attempt);
        Assert.Equal(crashedAt + TimeSpan.FromSeconds(10), status.NextRetry);

        await Task.Delay(300);
        clock.Advance(TimeSpan.FromSeconds(9.9));
        await Task.Delay(300);
        Assert.Equal(SidecarState.Restarting, supervisor.Status.State); // real time passed, the supervisor's clock did not

        clock.Advance(TimeSpan.FromSeconds(0.1));
        Assert.Equal(3, await demo.AddAsync(1, 2));
        Assert.Equal(SidecarState.Ready, supervisor.Status.State);
    }

    [Fact]
    public async Task Stop_is_graceful_and_final()
    {
        var supervisor = new SidecarSupervisor(Options());
        await supervisor.StartAsync();
        int pid = supervisor.Status.Pid!.Value;
        await supervisor.StopAsync();
        Assert.Equal(SidecarState.Stopped, supervisor.Status.State);
        Assert.Equal(0, supervisor.Status.LastExitCode);
        Assert.False(Directory.Exists($"/proc/{pid}"));
        // Stopped is final until StartAsync: a call does not quietly start an instance nobody will stop.
        var e = await Assert.ThrowsAnyAsync<SidecarException>(() => supervisor.GetClient<IDemo>().AddAsync(1, 1));
        Assert.Contains("was stopped", e.Message);
        Assert.Equal(SidecarState.Stopped, supervisor.Status.State);
        Assert.Null(supervisor.Status.Pid);
        await supervisor.StartAsync();
        Assert.Equal(2, await supervisor.GetClient<IDemo>().AddAsync(1, 1));
        await supervisor.StopAsync();
    }

    [Fact]
    public async Task A_program_that_cannot_be_found_fails_at_once_without_restarts()
    {
        await using var supervisor = new SidecarSupervisor(Options(o => { o.Process.FileName = "no-such-sidecar-program"; o.Process.FileNameVariable = "NO_SUCH_SIDECAR"; }));
        var e = await Assert.ThrowsAnyAsync<SidecarException>(() => supervisor.StartAsync());
        Assert.Contains("was not found", e.Message);
        Assert.Contains("$NO_SUCH_SIDECAR (not set)", e.Message);
        Assert.Equal(SidecarState.Failed, supervisor.Status.State);
        Assert.Equal(0, supervisor.Status.RestartCount);
    }
}

internal static class Native
{
    public const int SIGINT = 2, SIGKILL = 9, SIGTERM = 15, SIGSTOP = 19, SIGCONT = 18;

    [System.Runtime.InteropServices.DllImport("libc")]
    public static extern int kill(int pid, int sig);
}
