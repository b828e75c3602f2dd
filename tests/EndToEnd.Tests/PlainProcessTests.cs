using SidecarKit.Probes;
using SidecarKit.Processes;
using SidecarKit.Supervision;
using SidecarKit.Tests.Support;

namespace SidecarKit.EndToEnd.Tests;

/// <summary>
/// Programs that speak nothing of SidecarKit's (shell loops here), started, probed, stopped and supervised like any
/// sidecar (issue 13). The probes here are a file's existence, written by the test itself, so that readiness is decided
/// by something the test controls; the probe kinds themselves are tested in ProbeTests.
/// </summary>
public sealed class PlainProcessTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sidecarkit-plain-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private static SidecarProcessOptions Shell(string script, string name = "plain") => new()
    {
        Name = name,
        FileName = "sh",
        Arguments = { "-c", script },
        ReadyTimeout = TimeSpan.FromSeconds(20),
        ShutdownTimeout = TimeSpan.FromSeconds(5),
    };

    /// <summary>Passes when a file exists.</summary>
    private sealed class FileExists(string path) : SidecarProbe
    {
        public override string Description => $"the file {Path.GetFileName(path)} exists";

        public override ValueTask<SidecarProbeResult> CheckAsync(SidecarProbeContext context, CancellationToken cancellationToken)
            => ValueTask.FromResult(File.Exists(path) ? SidecarProbeResult.Pass : SidecarProbeResult.Fail("no such file"));
    }

    [Fact]
    public async Task A_plain_program_is_ready_at_spawn_its_output_is_kept_and_SIGTERM_stops_it()
    {
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(
            Shell("echo on stdout; echo on stderr >&2; while true; do sleep 0.1; done"));
        Assert.True(sidecar.IsPlain);
        Assert.Equal(sidecar.ProcessId, sidecar.ReadyInfo.Pid);
        var noChannel = Assert.Throws<InvalidOperationException>(() => sidecar.Channel);
        Assert.Contains("plain program", noChannel.Message);
        await DemoSidecarTests.Eventually(() => sidecar.StderrTail.Count == 2, "both lines in the tail");
        Assert.Equal(["on stderr", "on stdout"], sidecar.StderrTail.Order());

        int code = await sidecar.StopAsync();
        Assert.Equal(128 + 15, code); // SIGTERM, the default first step
    }

    [Fact]
    public async Task Each_line_of_a_plain_program_is_logged_with_its_name_and_stream()
    {
        var logs = new RecordingLoggerFactory();
        SidecarProcessOptions options = Shell("echo to stdout; echo to stderr >&2; while true; do sleep 0.1; done", "chatty");
        options.LoggerFactory = logs;
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options);
        await DemoSidecarTests.Eventually(() => logs.Entries.Count(e => e.Message.StartsWith("chatty (", StringComparison.Ordinal)) == 2, "both lines logged");
        Assert.Contains(("SidecarKit.Sidecar", Microsoft.Extensions.Logging.LogLevel.Information, "chatty (stdout): to stdout"), logs.Entries);
        Assert.Contains(("SidecarKit.Sidecar", Microsoft.Extensions.Logging.LogLevel.Information, "chatty (stderr): to stderr"), logs.Entries);
    }

    [Fact]
    public async Task A_readiness_probe_decides_when_a_plain_program_is_ready()
    {
        string flag = PathOf("ready");
        SidecarProcessOptions options = Shell($"sleep 0.5; touch '{flag}'; while true; do sleep 0.1; done");
        options.Readiness = new FileExists(flag);
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options);
        Assert.True(File.Exists(flag)); // not ready before the probe passed
        Assert.True(sidecar.IsReady);
    }

    [Fact]
    public async Task A_program_that_exits_before_its_probe_passes_fails_fast_with_its_code_and_output()
    {
        SidecarProcessOptions options = Shell("echo cannot bind port 8080 >&2; exit 3");
        options.Readiness = new FileExists(PathOf("never"));
        options.ReadyTimeout = TimeSpan.FromMinutes(5);
        var e = await Assert.ThrowsAsync<SidecarStartException>(() => SidecarProcess.StartAsync(options)).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(3, e.ExitCode);
        Assert.Contains("cannot bind port 8080", e.Message);
    }

    [Fact]
    public async Task A_probe_that_never_passes_times_out_naming_the_probe_and_its_last_failure()
    {
        SidecarProcessOptions options = Shell("while true; do sleep 0.1; done");
        options.Readiness = new FileExists(PathOf("never"));
        options.ReadyTimeout = TimeSpan.FromSeconds(1);
        var e = await Assert.ThrowsAsync<SidecarStartException>(() => SidecarProcess.StartAsync(options));
        Assert.Contains("did not become ready within 1 s. Its readiness probe (the file never exists) never passed (last attempt: no such file).", e.Message);
    }

    [Fact]
    public async Task The_first_stop_step_can_be_closing_stdin_another_signal_or_a_command()
    {
        SidecarProcessOptions eof = Shell("read line; echo got eof; exit 0");
        eof.Stop = SidecarStop.CloseStandardInput;
        await using (SidecarProcess sidecar = await SidecarProcess.StartAsync(eof))
            Assert.Equal(0, await sidecar.StopAsync());

        // Ready once the trap is set (a signal before that would end the shell its default way).
        SidecarProcessOptions interrupt = Shell($"trap 'exit 4' INT; touch '{PathOf("int")}'; while true; do sleep 0.1; done");
        interrupt.Readiness = new FileExists(PathOf("int"));
        interrupt.Stop = SidecarStop.Interrupt;
        await using (SidecarProcess sidecar = await SidecarProcess.StartAsync(interrupt))
            Assert.Equal(4, await sidecar.StopAsync());

        SidecarProcessOptions command = Shell($"trap 'exit 6' USR1; touch '{PathOf("usr1")}'; while true; do sleep 0.1; done");
        command.Readiness = new FileExists(PathOf("usr1"));
        command.Stop = SidecarStop.Command(new SidecarCommand("sh", "-c", "kill -USR1 \"$SIDECAR_PID\""));
        await using (SidecarProcess sidecar = await SidecarProcess.StartAsync(command))
            Assert.Equal(6, await sidecar.StopAsync());
    }

    [Fact]
    public async Task A_program_that_ignores_its_stop_step_is_killed_with_its_process_tree_after_the_grace()
    {
        string child = PathOf("child.pid");
        // $$$$ is the shell's $$ (the options expand ${VAR} and $$).
        SidecarProcessOptions options = Shell($"trap '' TERM; sh -c 'trap \"\" TERM; echo $$$$ > {child}; while true; do sleep 0.1; done' & wait");
        options.ShutdownTimeout = TimeSpan.FromMilliseconds(500);
        options.Readiness = new FileExists(child);
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options);
        int grandchild = int.Parse(File.ReadAllText(child).Trim());
        Assert.Equal(128 + 9, await sidecar.StopAsync());
        await DemoSidecarTests.Eventually(() => !Directory.Exists($"/proc/{grandchild}"), "the grandchild is gone");
    }

    [Fact]
    public async Task A_failing_prepare_command_is_a_start_failure_with_its_output_and_the_program_never_runs()
    {
        string ran = PathOf("ran");
        SidecarProcessOptions options = Shell($"touch '{ran}'; while true; do sleep 0.1; done");
        options.Prepare = new SidecarCommand("sh", "-c", "echo compiling; echo 'error: dependency missing' >&2; exit 2");
        var e = await Assert.ThrowsAsync<SidecarStartException>(() => SidecarProcess.StartAsync(options));
        Assert.True(e.BeforeSpawn);
        Assert.Contains("its prepare command (sh -c echo compiling; echo 'error: dependency missing' >&2; exit 2) exited with code 2", e.Message);
        Assert.Contains("error: dependency missing", e.Message);
        Assert.Contains("compiling", e.StderrTail);
        Assert.False(File.Exists(ran));

        // Under a supervisor: Failed at once, no restart loop.
        var supervised = new SidecarSupervisorOptions { Process = options };
        supervised.Restart.InitialDelay = TimeSpan.FromMilliseconds(10);
        await using var supervisor = new SidecarSupervisor(supervised);
        await Assert.ThrowsAnyAsync<SidecarException>(() => supervisor.StartAsync());
        Assert.Equal(SidecarState.Failed, supervisor.Status.State);
        Assert.Equal(0, supervisor.Status.RestartCount);
        Assert.False(File.Exists(ran));
    }

    [Fact]
    public async Task The_prepare_command_runs_before_the_first_start_of_a_supervised_run_not_before_each_restart()
    {
        string log = PathOf("prepare.log");
        string starts = PathOf("starts.log");
        // Crashes twice (exit 1 after its start is logged), then stays up.
        SidecarProcessOptions options = Shell($"echo start >> '{starts}'; [ $(wc -l < '{starts}') -ge 3 ] || exit 1; while true; do sleep 0.1; done");
        options.Prepare = new SidecarCommand("sh", "-c", $"echo prepared >> '{log}'");
        var supervised = new SidecarSupervisorOptions { Process = options };
        supervised.Restart.InitialDelay = TimeSpan.FromMilliseconds(10);
        supervised.Restart.Jitter = 0;
        await using var supervisor = new SidecarSupervisor(supervised);
        await supervisor.StartAsync();
        await DemoSidecarTests.Eventually(() => File.Exists(starts) && File.ReadAllLines(starts).Length == 3 && supervisor.Status.State == SidecarState.Ready, "the third start");
        Assert.Equal(["prepared"], File.ReadAllLines(log));
        Assert.Equal(2, supervisor.Status.RestartCount);
    }

    [Fact]
    public async Task Candidates_are_tried_in_order_and_none_found_names_every_place_tried()
    {
        SidecarProcessOptions options = Shell("echo hi; while true; do sleep 0.1; done");
        options.FileName = "";
        options.FileNameCandidates.Add("surely-not-a-program-deno");
        options.FileNameCandidates.Add("/nonexistent/node");
        options.FileNameCandidates.Add("sh");
        await using (SidecarProcess sidecar = await SidecarProcess.StartAsync(options))
            Assert.True(sidecar.IsReady);

        options.FileNameCandidates.RemoveAt(2);
        var e = await Assert.ThrowsAsync<SidecarStartException>(() => SidecarProcess.StartAsync(options));
        Assert.True(e.BeforeSpawn);
        Assert.Contains("none of its 2 candidate programs was found. Tried, in order: 'surely-not-a-program-deno' (each directory of PATH", e.Message);
        Assert.Contains("'/nonexistent/node' (the path /nonexistent/node (no such file))", e.Message);
    }

    [Fact]
    public async Task A_failing_liveness_probe_gets_a_plain_program_killed_and_restarted()
    {
        string alive = PathOf("alive");
        File.WriteAllText(alive, "");
        SidecarProcessOptions options = Shell("while true; do sleep 0.1; done");
        var supervised = new SidecarSupervisorOptions { Process = options };
        supervised.Restart.InitialDelay = TimeSpan.FromMilliseconds(10);
        supervised.HealthCheck.Probe = new FileExists(alive);
        supervised.HealthCheck.Interval = TimeSpan.FromMilliseconds(100);
        supervised.HealthCheck.FailureThreshold = 2;
        await using var supervisor = new SidecarSupervisor(supervised);
        await supervisor.StartAsync();
        int first = supervisor.Status.Pid!.Value;

        File.Delete(alive); // "hung": the probe fails from now on
        await DemoSidecarTests.Eventually(() => supervisor.Status.RestartCount >= 1, "a restart after the liveness failures");
        File.WriteAllText(alive, "");
        await DemoSidecarTests.Eventually(() => supervisor.Status.State == SidecarState.Ready && supervisor.Status.Pid != first, "the next instance ready");
        Assert.False(Directory.Exists($"/proc/{first}") && !File.ReadAllText($"/proc/{first}/stat").Contains(") Z "), "the unhealthy instance was killed");
    }

    [Fact]
    public async Task A_plain_program_that_exits_cleanly_under_on_failure_stays_stopped_and_a_killed_one_is_restarted()
    {
        var clean = new SidecarSupervisorOptions { Process = Shell("sleep 0.3; exit 0") };
        clean.Restart.InitialDelay = TimeSpan.FromMilliseconds(10);
        await using (var supervisor = new SidecarSupervisor(clean))
        {
            await supervisor.StartAsync();
            await DemoSidecarTests.Eventually(() => supervisor.Status.State == SidecarState.Stopped, "stopped after the clean exit");
            Assert.Equal(0, supervisor.Status.RestartCount);
        }

        var killed = new SidecarSupervisorOptions { Process = Shell("while true; do sleep 0.1; done") };
        killed.Restart.InitialDelay = TimeSpan.FromMilliseconds(10);
        await using (var supervisor = new SidecarSupervisor(killed))
        {
            await supervisor.StartAsync();
            int pid = supervisor.Status.Pid!.Value;
            Interop.Kill(pid, 9);
            await DemoSidecarTests.Eventually(() => supervisor.Status.RestartCount == 1 && supervisor.Status.State == SidecarState.Ready, "restarted");
            Assert.NotEqual(pid, supervisor.Status.Pid);
        }
    }

    [Fact]
    public async Task An_output_line_probe_makes_a_program_ready_when_it_prints_the_line()
    {
        string printed = PathOf("printed");
        SidecarProcessOptions options = Shell($"echo starting; sleep 0.3; touch '{printed}'; echo 'listening on 8080'; while true; do sleep 0.1; done");
        options.Readiness = SidecarProbe.OutputLine(@"^listening on \d+$", SidecarOutputStream.StandardOutput);
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options);
        Assert.True(File.Exists(printed)); // not before the line
    }

    [Fact]
    public async Task A_python_http_server_is_ready_by_http_and_tcp_and_a_SIGSTOPped_one_fails_liveness_and_is_restarted()
    {
        int port = Ports.Free();
        var options = new SidecarSupervisorOptions
        {
            Process = new SidecarProcessOptions
            {
                Name = "http",
                FileName = "python3",
                Arguments = { "-m", "http.server", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--directory", _dir },
                Readiness = SidecarProbe.Http($"http://127.0.0.1:{port}/"),
                ReadyTimeout = TimeSpan.FromSeconds(30),
                ShutdownTimeout = TimeSpan.FromSeconds(2),
            },
        };
        options.Restart.InitialDelay = TimeSpan.FromMilliseconds(50);
        options.HealthCheck.Probe = SidecarProbe.Http($"http://127.0.0.1:{port}/");
        options.HealthCheck.Interval = TimeSpan.FromMilliseconds(200);
        options.HealthCheck.Timeout = TimeSpan.FromMilliseconds(500);
        options.HealthCheck.FailureThreshold = 2;
        await using var supervisor = new SidecarSupervisor(options);
        await supervisor.StartAsync();
        // Ready means the HTTP probe passed: the server answers now.
        using (var client = new System.Net.Sockets.TcpClient())
            await client.ConnectAsync(System.Net.IPAddress.Loopback, port);
        Assert.True((await SidecarProbe.Tcp("127.0.0.1", port).CheckAsync(new SidecarProbeContext("t", 0), CancellationToken.None)).Passed);

        int first = supervisor.Status.Pid!.Value;
        Interop.Kill(first, 19); // SIGSTOP: alive as a process, dead as a server
        await DemoSidecarTests.Eventually(() => supervisor.Status.RestartCount == 1 && supervisor.Status.State == SidecarState.Ready, "restarted after failed liveness checks");
        Assert.NotEqual(first, supervisor.Status.Pid);
        Assert.Contains("liveness", supervisor.Status.LastError);
    }

    [Fact]
    public async Task A_tcp_probe_makes_a_program_ready_when_its_port_accepts()
    {
        int port = Ports.Free();
        var options = new SidecarProcessOptions
        {
            Name = "tcp",
            FileName = "python3",
            Arguments = { "-c", $"import socket, time; time.sleep(0.3); s = socket.socket(); s.bind(('127.0.0.1', {port})); s.listen(); time.sleep(60)" },
            Readiness = SidecarProbe.Tcp("127.0.0.1", port),
            ReadyTimeout = TimeSpan.FromSeconds(30),
        };
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options);
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(System.Net.IPAddress.Loopback, port); // listening when ready was declared
    }

    [Fact]
    public async Task A_unix_socket_probe_makes_a_program_ready_when_its_socket_accepts()
    {
        string socket = PathOf("s.sock");
        var options = new SidecarProcessOptions
        {
            Name = "unix",
            FileName = "python3",
            Arguments = { "-c", $"import socket, time; time.sleep(0.3); s = socket.socket(socket.AF_UNIX); s.bind('{socket}'); s.listen(); time.sleep(60)" },
            Readiness = SidecarProbe.UnixSocket(socket),
            ReadyTimeout = TimeSpan.FromSeconds(30),
        };
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options);
        Assert.True(File.Exists(socket));
    }

    private static class Interop
    {
        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        public static extern int Kill(int pid, int signal);
    }
}
