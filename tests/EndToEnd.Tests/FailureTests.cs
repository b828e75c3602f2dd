using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using SidecarKit.Processes;
using SidecarKit.Samples.Demo;
using SidecarKit.Transports.JsonLines;

namespace SidecarKit.EndToEnd.Tests;

/// <summary>Sidecars that die, never start, or are stopped from outside: the caller always learns why, and nothing hangs.</summary>
public class FailureTests
{
    [Fact]
    public async Task Exit_during_other_calls_fails_them_with_the_exit_code_and_stderr_tail()
    {
        await using SidecarProcess sidecar = await DemoSidecar.StartAsync();
        IDemo demo = sidecar.GetClient<IDemo>();
        Task<string>[] sleeping = [.. Enumerable.Range(0, 5).Select(_ => demo.SleepAsync(60_000))];
        await DemoSidecarTests.Eventually(async () => (await sidecar.PingAsync()).ActiveRequests == 5, "the sleeps to be running");

        Task exit = demo.ExitAsync(3);
        foreach (Task<string> call in sleeping)
        {
            var e = await Assert.ThrowsAsync<SidecarCrashedException>(() => call).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(3, e.ExitCode);
            Assert.Contains(e.StderrTail, line => line.Contains("Ready: demo"));
            Assert.Contains("exited with code 3", e.Message);
        }
        Assert.Equal(3, (await Assert.ThrowsAsync<SidecarCrashedException>(() => exit)).ExitCode);
        // A call made afterwards fails the same way instead of hanging.
        Assert.Equal(3, (await Assert.ThrowsAsync<SidecarCrashedException>(() => demo.AddAsync(1, 1))).ExitCode);
        Assert.Equal(3, await sidecar.Exited);
    }

    [Fact]
    public async Task Parent_declining_fails_work_with_the_documented_code()
    {
        await using SidecarProcess sidecar = await DemoSidecar.StartAsync(new RecordingEvents(confirm: false));
        var e = await Assert.ThrowsAsync<SidecarRemoteException>(() => sidecar.GetClient<IDemo>().WorkAsync(2));
        Assert.Equal(DemoErrors.DeclinedByParent, e.Code);
        Assert.Equal("declined by parent", e.Message);
    }

    [Fact]
    public async Task A_sidecar_that_exits_before_ready_fails_fast_with_exit_code_and_stderr()
    {
        var options = new SidecarProcessOptions { Name = "broken", FileName = "dotnet", ReadyTimeout = TimeSpan.FromSeconds(60) }.UseJsonLines();
        options.Arguments.Add(Path.Combine(Path.GetTempPath(), "no-such-sidecar-" + Guid.NewGuid() + ".dll"));
        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<SidecarStartException>(() => SidecarProcess.StartAsync(options));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(50), "it waited for the ready timeout instead of failing fast");
        Assert.NotNull(e.ExitCode);
        Assert.NotEqual(0, e.ExitCode);
        Assert.NotEmpty(e.StderrTail);
        Assert.Contains("before it became ready", e.Message);
    }

    [Fact]
    public async Task A_sidecar_that_never_becomes_ready_times_out_and_is_killed()
    {
        var options = new SidecarProcessOptions { Name = "mute", FileName = "sleep", ReadyTimeout = TimeSpan.FromMilliseconds(500) }.UseJsonLines();
        options.Arguments.Add("300");
        var e = await Assert.ThrowsAsync<SidecarStartException>(() => SidecarProcess.StartAsync(options));
        Assert.Contains("did not become ready within 0.5 s", e.Message);
        int pid = int.Parse(System.Text.RegularExpressions.Regex.Match(e.Message, @"pid (\d+)").Groups[1].Value);
        await DemoSidecarTests.Eventually(() => !Directory.Exists($"/proc/{pid}") || File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2] == "Z", "the child to be killed");
    }

    [Fact]
    public async Task A_program_that_cannot_be_started_says_so()
    {
        var options = new SidecarProcessOptions { Name = "ghost", FileName = "/nonexistent/sidecar-binary" }.UseJsonLines();
        var e = await Assert.ThrowsAsync<SidecarStartException>(() => SidecarProcess.StartAsync(options));
        Assert.Contains("/nonexistent/sidecar-binary", e.Message);
        Assert.Contains("could not be started", e.Message);
    }
}

/// <summary>The sidecar's command line and its own exits (stdin EOF, SIGTERM), driven as a plain process.</summary>
public class SidecarProcessLevelTests
{
    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        psi.ArgumentList.Add(DemoSidecar.DllPath);
        foreach (string a in args) psi.ArgumentList.Add(a);
        using Process p = Process.Start(psi)!;
        p.StandardInput.Close();
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (p.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task Help_lists_the_flags_and_contracts()
    {
        var (code, stdout, _) = await RunAsync("--help");
        Assert.Equal(0, code);
        foreach (string flag in new[] { "--transport", "--describe", "--log-level", "--quiet-ready", "--help", "jsonl", "demo.add" })
            Assert.Contains(flag, stdout);
    }

    [Fact]
    public async Task Describe_json_prints_the_contract_description()
    {
        var (code, stdout, _) = await RunAsync("--describe", "json");
        Assert.Equal(0, code);
        using JsonDocument doc = JsonDocument.Parse(stdout);
        JsonElement demo = doc.RootElement.GetProperty("contracts")[0];
        Assert.Equal("demo", demo.GetProperty("contract").GetString());
        Assert.Contains(demo.GetProperty("methods").EnumerateArray(), m => m.GetProperty("name").GetString() == "demo.count" && m.GetProperty("kind").GetString() == "stream");
        Assert.Equal("object", demo.GetProperty("types").GetProperty("Person").GetProperty("kind").GetString());
    }

    // The standard's form of the same description: the golden document the polyglot suites validate and generate from.
    [Fact]
    public async Task Describe_openrpc_prints_the_golden_document_and_output_writes_it_as_a_file()
    {
        string golden = File.ReadAllText(Path.Combine(DemoSidecar.RepoRoot, "tests", "Polyglot", "openrpc", "demo.openrpc.json")).ReplaceLineEndings("\n");
        var (code, stdout, _) = await RunAsync("--describe", "openrpc");
        Assert.Equal(0, code);
        Assert.Equal(golden, stdout.ReplaceLineEndings("\n"));
        string dir = Directory.CreateTempSubdirectory("describe-").FullName;
        try
        {
            (code, stdout, _) = await RunAsync("--describe", "openrpc", "--output", dir);
            Assert.Equal(0, code);
            string path = Path.Combine(dir, "demo.openrpc.json");
            Assert.Equal(path, stdout.Trim());
            Assert.Equal(golden, File.ReadAllText(path));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    // rpc.discover answers the same document on the protocol channel, as OpenRPC's service discovery asks.
    [Fact]
    public async Task Rpc_discover_answers_the_openrpc_document()
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(DemoSidecar.DllPath);
        using Process p = Process.Start(psi)!;
        _ = p.StandardError.ReadToEndAsync();
        await p.StandardInput.WriteLineAsync("""{"jsonrpc":"2.0","id":7,"method":"rpc.discover"}""");
        await p.StandardInput.FlushAsync();
        string? line;
        do line = await p.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
        while (line is not null && !line.Contains("\"id\":7", StringComparison.Ordinal));
        p.StandardInput.Close();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.NotNull(line);
        using JsonDocument answer = JsonDocument.Parse(line);
        using JsonDocument golden = JsonDocument.Parse(File.ReadAllText(Path.Combine(DemoSidecar.RepoRoot, "tests", "Polyglot", "openrpc", "demo.openrpc.json")));
        Assert.Equal(JsonSerializer.Serialize(golden.RootElement), JsonSerializer.Serialize(answer.RootElement.GetProperty("result")));
    }

    [Theory]
    [InlineData("--output=somewhere", "--output goes with --describe")]
    [InlineData("--output=", "--output needs a directory")]
    [InlineData("--bogus", "Unknown option")]
    [InlineData("--transport=carrier-pigeon", "Unknown transport")]
    [InlineData("--log-level=chatty", "--log-level")]
    [InlineData("--describe=yaml", "Unknown description format")]
    public async Task Bad_command_lines_exit_2_with_a_message(string arg, string message)
    {
        var (code, _, stderr) = await RunAsync(arg);
        Assert.Equal(2, code);
        Assert.Contains(message, stderr);
    }

    [Fact]
    public async Task Quiet_ready_suppresses_the_marker_but_not_the_notification()
    {
        var (code, stdout, stderr) = await RunAsync("--quiet-ready");
        Assert.Equal(0, code);
        Assert.DoesNotContain("__SIDECAR_READY__", stderr);
        Assert.Contains("\"method\":\"lifecycle.ready\"", stdout);
    }

    [Fact]
    public async Task Stdin_eof_makes_the_sidecar_say_goodbye_and_exit_zero()
    {
        var (code, stdout, stderr) = await RunAsync();
        Assert.Equal(0, code);
        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("\"method\":\"lifecycle.ready\"", lines[0]);
        Assert.Contains("""{"jsonrpc":"2.0","method":"lifecycle.shutdown","params":{"reason":"eof"}}""", lines[^1]);
        Assert.StartsWith("__SIDECAR_READY__:{", stderr);
    }

    [Fact]
    public async Task Sigterm_makes_the_sidecar_exit_promptly_with_reason_sigterm()
    {
        using Process p = await RawSidecar.StartAsync();
        Assert.Equal(0, kill(p.Id, 15));
        string rest = await p.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, p.ExitCode);
        Assert.Contains("\"reason\":\"sigterm\"", rest);
    }

    [Fact]
    public async Task An_id_can_be_reused_as_soon_as_its_answer_has_arrived()
    {
        // Python and Node clients often number every call 1. The id is freed before the answer leaves, so reusing it at
        // once never gets "already running" (it did, a few times in 300, before).
        using Process p = await RawSidecar.StartAsync();
        for (int i = 0; i < 1000; i++)
        {
            await p.StandardInput.WriteAsync("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"demo.add\",\"params\":[2,3]}\n");
            await p.StandardInput.FlushAsync();
            Assert.Equal("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":5}", await p.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        }
        p.StandardInput.Close();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    [DllImport("libc")]
    private static extern int kill(int pid, int sig);
}

public class StdinEofDrainTests
{
    [Fact]
    public async Task Closing_stdin_lets_running_requests_finish_before_exit()
    {
        using Process p = await RawSidecar.StartAsync();
        await p.StandardInput.WriteAsync("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"demo.sleep\",\"params\":{\"milliseconds\":500}}\n");
        await p.StandardInput.FlushAsync();
        await Task.Delay(100);
        p.StandardInput.Close();
        string rest = await p.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"slept\"}", rest);
        Assert.Contains("\"reason\":\"eof\"", rest);
        Assert.Equal(0, p.ExitCode);
    }
}

public class ShutdownNowTests
{
    [Fact]
    public async Task Shutdown_now_cancels_running_requests_and_exits_zero()
    {
        using Process p = await RawSidecar.StartAsync();
        await p.StandardInput.WriteAsync("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"demo.sleep\",\"params\":{\"milliseconds\":60000}}\n");
        await p.StandardInput.WriteAsync("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"system.shutdown_now\"}\n");
        await p.StandardInput.FlushAsync();
        string rest = await p.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30)); // stdin still open: it exits by itself
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains("{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":null}", rest);
        Assert.Contains("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32800", rest);
        Assert.Contains("\"reason\":\"shutdown_now\"", rest);
        Assert.Equal(0, p.ExitCode);
    }
}

public class UrgentStopTests
{
    [Fact]
    public async Task Sigterm_during_a_drain_cuts_it_short()
    {
        using Process p = await RawSidecar.StartAsync();
        await p.StandardInput.WriteAsync("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"demo.sleep\",\"params\":{\"milliseconds\":60000}}\n");
        await p.StandardInput.WriteAsync("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"system.shutdown\"}\n");
        await p.StandardInput.FlushAsync();
        Assert.Contains("\"id\":2,\"result\":null", await p.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        var clock = Stopwatch.StartNew();
        Assert.Equal(0, kill(p.Id, 15)); // the drain would wait 10 s for the sleep; SIGTERM means now
        string rest = await p.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"took {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.Contains("\"id\":1,\"error\":{\"code\":-32800", rest);
        Assert.Equal(0, p.ExitCode);
    }

    [DllImport("libc")]
    private static extern int kill(int pid, int sig);
}

/// <summary>The demo sidecar as a plain process driven by raw JSON lines, started and read up to its ready line.</summary>
internal static class RawSidecar
{
    public static async Task<Process> StartAsync()
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        psi.ArgumentList.Add(DemoSidecar.DllPath);
        Process p = Process.Start(psi)!;
        _ = p.StandardError.ReadToEndAsync(); // drained so the sidecar never blocks on a full stderr pipe
        Assert.Contains("lifecycle.ready", await p.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)));
        return p;
    }
}
