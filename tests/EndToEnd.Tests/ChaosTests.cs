using System.Diagnostics;
using SidecarKit.Processes;
using SidecarKit.Samples.Demo;
using SidecarKit.Supervision;
using SidecarKit.Tests.Support;
using SidecarKit.Transports.JsonLines;

namespace SidecarKit.EndToEnd.Tests;

/// <summary>Supervision driven by the chaos sidecar (tests/ChaosSidecar): each misbehaviour, and what the parent does.</summary>
public class ChaosTests
{
    private static string ChaosDll
    {
        get
        {
            string config = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
            return Path.Combine(DemoSidecar.RepoRoot, "tests", "ChaosSidecar", "bin", config, "net10.0", "SidecarKit.Tests.ChaosSidecar.dll");
        }
    }

    private static SidecarProcessOptions Chaos(params (string Name, string Value)[] env)
    {
        var options = new SidecarProcessOptions { Name = "chaos", FileName = "dotnet", ReadyTimeout = TimeSpan.FromSeconds(60), ShutdownTimeout = TimeSpan.FromSeconds(1) }.UseJsonLines();
        options.Arguments.Add(ChaosDll);
        options.Callbacks.AddContract<IDemoEvents>(new RecordingEvents(confirm: true));
        foreach (var (name, value) in env) options.Environment[name] = value;
        return options;
    }

    private static SidecarSupervisorOptions Supervised(SidecarProcessOptions process)
    {
        var options = new SidecarSupervisorOptions { Process = process };
        options.Restart.InitialDelay = TimeSpan.FromMilliseconds(50);
        options.Restart.Jitter = 0;
        options.HealthCheck.Enabled = false;
        return options;
    }

    [Fact]
    public async Task An_idempotent_call_caught_by_a_crash_is_retried_once_on_the_next_instance_and_others_are_not()
    {
        await using var supervisor = new SidecarSupervisor(Supervised(Chaos()));
        IChaosControl chaos = supervisor.GetClient<IChaosControl>();
        await supervisor.StartAsync();
        int first = supervisor.Status.Pid!.Value;

        Task<int> idempotent = chaos.PidAfterAsync(1500);
        Task<int> once = chaos.PidAfterOnceAsync(1500);
        await Task.Delay(300);
        Native.kill(first, Native.SIGKILL);

        await Assert.ThrowsAsync<SidecarCrashedException>(() => once);
        int answeredBy = await idempotent.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.NotEqual(first, answeredBy);
        Assert.Equal(supervisor.Status.Pid, answeredBy);
    }

    [Fact]
    public async Task A_sidecar_that_crashes_before_ready_reports_its_exit_code_and_stderr()
    {
        var e = await Assert.ThrowsAsync<SidecarStartException>(() => SidecarProcess.StartAsync(Chaos(("CHAOS_CRASH_BEFORE_READY", "7"))));
        Assert.Equal(7, e.ExitCode);
        Assert.Contains(e.StderrTail, l => l.Contains("chaos: crashing before ready"));
    }

    [Fact]
    public async Task A_failing_startup_task_means_never_ready_and_exit_code_1()
    {
        var e = await Assert.ThrowsAsync<SidecarStartException>(() => SidecarProcess.StartAsync(Chaos(("CHAOS_STARTUP_FAIL", "the model file is missing"))));
        Assert.Equal(1, e.ExitCode);
        Assert.Contains(e.StderrTail, l => l.Contains("A startup task failed"));
        Assert.Contains(e.StderrTail, l => l.Contains("the model file is missing"));
        Assert.Contains("exited with code 1 before it became ready", e.Message);
    }

    [Fact]
    public async Task A_hung_sidecar_is_stopped_by_escalation_and_its_tree_including_a_setsid_grandchild_is_killed()
    {
        SidecarProcess sidecar = await SidecarProcess.StartAsync(Chaos(("CHAOS_IGNORE_SIGTERM", "1"), ("CHAOS_SPAWN_GRANDCHILD", "setsid"), ("CHAOS_HANG_AFTER_READY_MS", "300")));
        int grandchild = await GrandchildPid(sidecar);
        await DemoSidecarTests.Eventually(() => File.ReadAllText($"/proc/{sidecar.ProcessId}/stat").Split(' ')[2] == "T", "the sidecar to hang (stopped)");
        // system.shutdown is unanswered, SIGTERM is ignored (and a stopped process would not act on it anyway): the stop
        // must escalate to a kill of the whole tree.
        int code = await sidecar.StopAsync();
        await sidecar.DisposeAsync();
        Assert.Equal(137, code);
        await DemoSidecarTests.Eventually(() => !Alive(grandchild), "the grandchild (in its own session) to be killed with the tree");
    }

    [Fact]
    public async Task A_flood_on_stderr_and_partial_lines_neither_block_calls_nor_lose_lines()
    {
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(Chaos(("CHAOS_FLOOD_BYTES", "20000000"), ("CHAOS_PARTIAL_LINES", "1")));
        IDemo demo = sidecar.GetClient<IDemo>();
        for (int i = 0; i < 200; i++) Assert.Equal(i, await demo.AddAsync(i, 0)); // calls flow while stderr floods
        await DemoSidecarTests.Eventually(() => sidecar.StderrTail.Any(l => l.StartsWith("part-1 part-2", StringComparison.Ordinal)), "the partial line, whole");
        Assert.Contains(sidecar.StderrTail, l => l.Contains("chaos: flood done (20000000 bytes)"));
        Assert.True(DemoSidecarTests.ResidentBytes(Environment.ProcessId) < 2L * 1024 * 1024 * 1024);
    }

    [Fact]
    public async Task A_ready_marker_on_the_wrong_stream_is_tolerated()
    {
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(Chaos(("CHAOS_READY_ON_STDOUT", "1")));
        Assert.Equal(5, await sidecar.GetClient<IDemo>().AddAsync(2, 3)); // readiness came from lifecycle.ready
    }

    private static async Task<int> GrandchildPid(SidecarProcess sidecar)
    {
        string? line = null;
        await DemoSidecarTests.Eventually(() => (line = sidecar.StderrTail.FirstOrDefault(l => l.StartsWith("chaos: grandchild ", StringComparison.Ordinal))) is not null, "the grandchild's pid");
        return int.Parse(line!["chaos: grandchild ".Length..]);
    }

    private static bool Alive(int pid) => ProcessInfo.IsAlive(pid);
}
