using System.Diagnostics;
using Microsoft.Extensions.Logging;
using SidecarKit.Logging;
using SidecarKit.Processes;
using SidecarKit.Samples.Demo;
using SidecarKit.Tests.Support;
using SidecarKit.Transports.JsonLines;

namespace SidecarKit.EndToEnd.Tests;

/// <summary>
/// A sidecar's logs in the parent (issue 15): the entries of a SidecarKit sidecar (and of the Python demo, which writes
/// the same form) keep their level, category, event id and exception; other programs' lines get a level from a prefix.
/// </summary>
public class LoggingTests
{
    private const string Python = "/usr/bin/python3";

    [Fact]
    public async Task A_failing_method_is_logged_at_Error_with_its_event_id_and_stack_trace_even_under_a_Warning_filter()
    {
        var logs = new RecordingLoggerFactory(LogLevel.Warning);
        SidecarProcessOptions options = DemoSidecar.Options();
        options.LoggerFactory = logs;
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options);

        // Task.Delay(-2) throws: a bug of the implementation, not an answer it chose.
        var error = await Assert.ThrowsAsync<SidecarRemoteException>(() => sidecar.GetClient<IDemo>().SleepAsync(-2));
        Assert.Equal(Rpc.RpcErrorCodes.InternalError, error.Code);
        // The caller gets the type, never the stack trace: that stays in the sidecar's log.
        Assert.DoesNotContain("   at ", error.ErrorData?.ToString() ?? "");
        Assert.DoesNotContain("DemoService", error.ErrorData?.ToString() ?? "");

        await DemoSidecarTests.Eventually(() => logs.Records.Any(r => r.Level == LogLevel.Error), "the sidecar's error in the parent's log");
        LogRecord entry = Assert.Single(logs.Records, r => r.Level == LogLevel.Error);
        Assert.Equal("SidecarKit.Sidecar.demo.SidecarKit.Connection", entry.Category);
        Assert.Equal(1, entry.EventId.Id); // RpcLog.LogHandlerFailed
        Assert.Equal("The handler of 'demo.sleep' failed.", entry.Message);
        var exception = Assert.IsType<SidecarLoggedException>(entry.Exception);
        Assert.Equal(typeof(ArgumentOutOfRangeException).FullName, exception.RemoteType);
        Assert.Contains("DemoService.SleepAsync", exception.StackTrace);
        Assert.Contains("DemoService.SleepAsync", exception.ToString());
        Assert.StartsWith("System.ArgumentOutOfRangeException: ", exception.ToString());

        // The scope names the sidecar, its pid and the stream, and prints as such (not as a dictionary's type).
        object scope = Assert.Single(entry.Scopes);
        Assert.Equal($"sidecar=demo pid={sidecar.ProcessId} stream=stderr", scope.ToString());
        var values = Assert.IsAssignableFrom<IReadOnlyList<KeyValuePair<string, object?>>>(scope);
        Assert.Equal(["sidecar", "pid", "stream"], values.Select(v => v.Key));
        Assert.Equal(sidecar.ProcessId, values[1].Value);

        // Under the Warning filter nothing below it arrived (the sidecar's info lines were dropped, as filtered)...
        Assert.DoesNotContain(logs.Records, r => r.Level < LogLevel.Warning);
        // ...and the stderr tail keeps the raw line, as written.
        Assert.Contains(sidecar.StderrTail, l => l.StartsWith("fail SidecarKit.Connection[1]: The handler of 'demo.sleep' failed.\tSystem.ArgumentOutOfRangeException", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_warning_of_the_sidecar_arrives_at_Warning_under_its_category()
    {
        var logs = new RecordingLoggerFactory();
        SidecarProcessOptions options = DemoSidecar.Options(null, "--listen", "/tmp/sidecarkit-ignored.sock");
        options.LoggerFactory = logs;
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options);
        sidecar.GetClient<IDemo>().Log("hello {not a placeholder}\nsecond line");

        await DemoSidecarTests.Eventually(() => logs.Records.Any(r => r.Message.StartsWith("demo.log: ", StringComparison.Ordinal)), "demo.log's entry");
        LogRecord warning = Assert.Single(logs.Records, r => r.Message.Contains("--listen is ignored"));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Equal("SidecarKit.Sidecar.demo.SidecarKit.Host", warning.Category);
        Assert.Equal(0, warning.EventId.Id);
        Assert.Null(warning.Exception);

        LogRecord info = Assert.Single(logs.Records, r => r.Message.StartsWith("demo.log: ", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Information, info.Level);
        Assert.Equal("SidecarKit.Sidecar.demo.demo", info.Category);
        Assert.Equal("demo.log: hello {not a placeholder}\nsecond line", info.Message); // unescaped, braces untouched
        // Nothing arrives as a line the parent did not understand.
        Assert.DoesNotContain(logs.Records, r => r.Category == "SidecarKit.Sidecar" && r.Level == LogLevel.Information);
    }

    [Fact]
    public async Task The_python_demo_sidecars_lines_keep_their_level_and_category()
    {
        Assert.True(File.Exists(Python), $"{Python} is missing: install Debian's python3 to run the polyglot tests.");
        // Its watchdog warns when the "parent" it was given is gone: a process of the test's, ended by the test.
        using var standIn = Process.Start(new ProcessStartInfo("sleep", "60"))!;
        var logs = new RecordingLoggerFactory(LogLevel.Information);
        var options = new SidecarProcessOptions { Name = "python-demo", FileName = Python, ReadyTimeout = TimeSpan.FromSeconds(20) }.UseJsonLines();
        options.Arguments.Add(Path.Combine(DemoSidecar.RepoRoot, "samples", "Polyglot", "python", "demo_sidecar.py"));
        options.Callbacks.AddContract<IDemoEvents>(new RecordingEvents(confirm: true));
        options.Environment[SidecarProcess.ParentPidVariable] = standIn.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        options.LoggerFactory = logs;
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options);
        await DemoSidecarTests.Eventually(() => logs.Records.Any(r => r.Message.StartsWith("Ready: demo", StringComparison.Ordinal)), "the ready entry");
        LogRecord ready = Assert.Single(logs.Records, r => r.Message.StartsWith("Ready: demo", StringComparison.Ordinal));
        Assert.Equal(("SidecarKit.Sidecar.python-demo.host", LogLevel.Information), (ready.Category, ready.Level));

        standIn.Kill();
        await standIn.WaitForExitAsync();
        await DemoSidecarTests.Eventually(() => logs.Records.Any(r => r.Message.Contains("is gone; shutting down")), "the watchdog's warning");
        LogRecord warning = Assert.Single(logs.Records, r => r.Message.Contains("is gone; shutting down"));
        Assert.Equal(("SidecarKit.Sidecar.python-demo.host", LogLevel.Warning), (warning.Category, warning.Level));
        Assert.Equal($"sidecar=python-demo pid={sidecar.ProcessId} stream=stderr", Assert.Single(warning.Scopes).ToString());
    }

    [Fact]
    public async Task A_plain_programs_lines_take_their_level_from_a_prefix_and_are_not_read_as_entries()
    {
        var logs = new RecordingLoggerFactory();
        var options = new SidecarProcessOptions
        {
            Name = "chatty",
            FileName = "sh",
            Arguments = { "-c", "echo 'WARNING:root:slow' >&2; echo 'error: disk full'; echo 'CRIT: gone' >&2; echo 'just text' >&2; echo 'warn demo: not an entry here' >&2; while true; do sleep 0.1; done" },
            ShutdownTimeout = TimeSpan.FromSeconds(5),
            LoggerFactory = logs,
        };
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options);
        await DemoSidecarTests.Eventually(() => logs.Entries.Count(e => e.Message.StartsWith("chatty (", StringComparison.Ordinal)) == 5, "every line logged");
        Assert.Contains(("SidecarKit.Sidecar", LogLevel.Warning, "chatty (stderr): WARNING:root:slow"), logs.Entries);
        Assert.Contains(("SidecarKit.Sidecar", LogLevel.Error, "chatty (stdout): error: disk full"), logs.Entries);
        Assert.Contains(("SidecarKit.Sidecar", LogLevel.Critical, "chatty (stderr): CRIT: gone"), logs.Entries);
        Assert.Contains(("SidecarKit.Sidecar", LogLevel.Information, "chatty (stderr): just text"), logs.Entries);
        Assert.Contains(("SidecarKit.Sidecar", LogLevel.Information, "chatty (stderr): warn demo: not an entry here"), logs.Entries);
        Assert.Contains(logs.Records, r => r.Scopes.SingleOrDefault()?.ToString() == $"sidecar=chatty pid={sidecar.ProcessId} stream=stdout");
    }

    [Fact]
    public async Task A_sidecar_line_in_no_particular_form_takes_its_level_from_a_prefix()
    {
        // A sidecar that speaks the protocol (the Python demo) but whose stderr gets a line from elsewhere: a library
        // that prints, here the shell the test wraps it in. Such lines keep today's form, "{Sidecar}: {Line}".
        Assert.True(File.Exists(Python), $"{Python} is missing");
        string script = Path.Combine(DemoSidecar.RepoRoot, "samples", "Polyglot", "python", "demo_sidecar.py");
        var logs = new RecordingLoggerFactory();
        var options = new SidecarProcessOptions
        {
            Name = "wrapped",
            FileName = "sh",
            Arguments = { "-c", $"echo 'error: from the wrapper' >&2; echo 'plain words' >&2; exec {Python} '{script}'" },
            ReadyTimeout = TimeSpan.FromSeconds(20),
        }.UseJsonLines();
        options.Callbacks.AddContract<IDemoEvents>(new RecordingEvents(confirm: true));
        options.LoggerFactory = logs;
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options);
        await DemoSidecarTests.Eventually(() => logs.Entries.Any(e => e.Message == "wrapped: plain words"), "both lines");
        Assert.Contains(("SidecarKit.Sidecar", LogLevel.Error, "wrapped: error: from the wrapper"), logs.Entries);
        Assert.Contains(("SidecarKit.Sidecar", LogLevel.Information, "wrapped: plain words"), logs.Entries);
    }
}
