using System.Runtime.InteropServices;
using SidecarKit.Samples.Demo;
using SidecarKit.Supervision;

namespace SidecarKit.Transports.Grpc.Tests;

/// <summary>The supervisor on the gRPC transport: crash and restart, liveness through system.ping over gRPC, clean stop.</summary>
public class GrpcSupervisorTests
{
    private static SidecarSupervisorOptions Options(Action<SidecarSupervisorOptions>? configure = null)
    {
        var options = new SidecarSupervisorOptions { Process = GrpcSidecarTests.Options("grpc") };
        options.Restart.InitialDelay = TimeSpan.FromMilliseconds(50);
        options.Restart.Jitter = 0;
        options.HealthCheck.Enabled = false;
        configure?.Invoke(options);
        return options;
    }

    [Fact]
    public async Task A_crash_fails_calls_in_flight_and_the_client_carries_on_with_the_next_instance()
    {
        await using var supervisor = new SidecarSupervisor(Options());
        IDemo demo = supervisor.GetClient<IDemo>();
        Assert.Equal(3, await demo.AddAsync(1, 2)); // on-demand start
        int firstPid = supervisor.Status.Pid!.Value;
        string firstAddress = supervisor.Status.ReadyInfo!.ListenInfo!;
        Task<string> inFlight = demo.SleepAsync(60_000);
        await Task.Delay(200);

        Task exit = demo.ExitAsync(7);
        var crash = await Assert.ThrowsAsync<SidecarCrashedException>(() => inFlight).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(7, crash.ExitCode);
        await Assert.ThrowsAsync<SidecarCrashedException>(() => exit);

        Assert.Equal(5, await demo.AddAsync(2, 3)); // waits for the restarted instance, on its new port
        SidecarStatus status = supervisor.Status;
        Assert.Equal(SidecarState.Ready, status.State);
        Assert.NotEqual(firstPid, status.Pid);
        Assert.Equal(1, status.RestartCount);
        Assert.Equal(7, status.LastExitCode);
        Assert.Equal("grpc", status.ReadyInfo!.Transport);
        Assert.NotEqual(firstAddress, status.ReadyInfo.ListenInfo);
    }

    [Fact]
    public async Task A_stopped_sidecar_fails_its_liveness_checks_over_gRPC_and_is_restarted()
    {
        await using var supervisor = new SidecarSupervisor(Options(o =>
        {
            o.HealthCheck.Enabled = true;
            o.HealthCheck.Interval = TimeSpan.FromMilliseconds(200);
            o.HealthCheck.Timeout = TimeSpan.FromMilliseconds(300);
            o.HealthCheck.FailureThreshold = 3;
        }));
        await supervisor.StartAsync();
        int pid = supervisor.Status.Pid!.Value;
        Assert.Equal(0, kill(pid, 19)); // SIGSTOP: alive, answering nothing
        await GrpcSidecarTests.WaitForAsync(() => supervisor.Status.State == SidecarState.Ready && supervisor.Status.Pid != pid);
        Assert.Contains("liveness checks", supervisor.Status.LastError);
        Assert.Equal(4, await supervisor.GetClient<IDemo>().AddAsync(2, 2));
    }

    [Fact]
    public async Task Stopping_drains_and_exits_cleanly()
    {
        var supervisor = new SidecarSupervisor(Options());
        await supervisor.StartAsync();
        IDemo demo = supervisor.GetClient<IDemo>();
        Task<string> sleeping = demo.SleepAsync(500);
        await Task.Delay(100);
        await supervisor.DisposeAsync();   // system.shutdown over gRPC: the running call finishes first
        Assert.Equal("slept", await sleeping);
        Assert.Equal(0, supervisor.Status.LastExitCode ?? 0);
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
