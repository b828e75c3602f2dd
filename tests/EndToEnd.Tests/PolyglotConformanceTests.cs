using System.Diagnostics;
using System.Security.Cryptography;
using SidecarKit.Processes;
using SidecarKit.Samples.Demo;
using SidecarKit.Supervision;
using SidecarKit.Transports.JsonLines;
using Circle = SidecarKit.Samples.Demo.Circle;

namespace SidecarKit.EndToEnd.Tests;

/// <summary>
/// The demo sidecars written on the Python and Node libraries (samples/Polyglot/python/demo_sidecar.py,
/// samples/Polyglot/node/demo-sidecar.mjs), supervised by the C# runtime and called with the generated IDemo proxy,
/// through the conformance scenarios: every method, crash and restart, a hung (SIGSTOPped) sidecar found by its
/// liveness check, a graceful stop with a call in flight, end of stdin, and the parent's death. Nothing is left running.
/// </summary>
public class PolyglotConformanceTests
{
    public static TheoryData<string> Languages => new() { "python", "node" };

    /// <summary>The command that runs the language's demo sidecar; a missing runtime is said loudly.</summary>
    internal static (string FileName, string Script) Command(string language)
    {
        (string file, string script) = language switch
        {
            "python" => ("/usr/bin/python3", Path.Combine(DemoSidecar.RepoRoot, "samples", "Polyglot", "python", "demo_sidecar.py")),
            "node" => (Which("node") ?? "node", Path.Combine(DemoSidecar.RepoRoot, "samples", "Polyglot", "node", "demo-sidecar.mjs")),
            _ => throw new ArgumentOutOfRangeException(nameof(language)),
        };
        if (!File.Exists(file))
            throw new InvalidOperationException($"!!!!!!!! {file} is missing: the {language} demo sidecar cannot run. Install it (scripts/test.sh does).");
        return (file, script);
    }

    private static string? Which(string program)
        => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);

    private static SidecarSupervisorOptions Options(string language, RecordingEvents events, Action<SidecarSupervisorOptions>? configure = null)
    {
        (string file, string script) = Command(language);
        var options = new SidecarSupervisorOptions();
        options.Process.Name = language + "-demo";
        options.Process.FileName = file;
        options.Process.Arguments.Add(script);
        options.Process.ReadyTimeout = TimeSpan.FromSeconds(60);
        options.Process.UseJsonLines();
        options.Process.Callbacks.AddContract<IDemoEvents>(events);
        options.Restart.InitialDelay = TimeSpan.FromMilliseconds(50);
        configure?.Invoke(options);
        return options;
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task Every_demo_method_answers_the_generated_proxy(string language)
    {
        var events = new RecordingEvents(confirm: true);
        await using var supervisor = new SidecarSupervisor(Options(language, events));
        IDemo demo = supervisor.GetClient<IDemo>();   // also checks the announced shapes against IDemo at the handshake
        await supervisor.StartAsync();

        Assert.Equal(5, await demo.AddAsync(2, 3));
        Assert.Equal(DemoErrors.DivisionByZero, (await Assert.ThrowsAsync<SidecarRemoteException>(() => demo.DivideAsync(1, 0))).Code);
        Assert.Equal(-32602, (await Assert.ThrowsAsync<SidecarRemoteException>(() => demo.AddAsync(int.MaxValue, 1))).Code);
        var ada = new Person("Ada", 36, ["math", "ünï"], new Address("St James's Square", "London"), new DateTimeOffset(1815, 12, 10, 0, 0, 0, TimeSpan.Zero));
        Person back = await demo.EchoAsync(ada);
        Assert.Equal(ada with { Tags = back.Tags }, back);
        Assert.Equal(ada.Tags, back.Tags);
        Assert.Equal(2.5, await demo.DivideAsync(5, 2));
        var items = new List<int>();
        await foreach (int i in demo.CountAsync(200)) items.Add(i);   // beyond the first window of credit
        Assert.Equal(Enumerable.Range(1, 200), items);
        byte[] blob = await demo.BlobAsync(1000);
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => (byte)i), blob);
        demo.Log("a notification from the C# parent");
        Assert.Equal(3, await demo.WorkAsync(3));
        lock (events.Progress) Assert.Equal([("work", 0), ("work", 33), ("work", 66)], events.Progress);
        using (var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200)))
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => demo.SleepAsync(30_000, cts.Token));

        Assert.Equal(5050, await demo.SumAsync(Items(Enumerable.Range(1, 100))));
        var replies = new List<string>();
        await foreach (string reply in demo.ChatAsync("re: ", Items(["a", "", "ü"]))) replies.Add(reply);
        Assert.Equal(["re: a", "re: ", "re: ü"], replies);
        Assert.Equal(Math.PI * 4, await demo.AreaAsync(new Circle("c", 2)), 9);
        Assert.Equal(6, await demo.AreaAsync(new Rectangle("r", 2, 3)));
        var reports = new List<int>();
        Assert.Equal(4, await demo.StepsAsync(4, new SynchronousProgress(reports)));
        Assert.Equal([1, 2, 3, 4], reports);
        byte[] upload = RandomNumberGenerator.GetBytes(200_000);
        Assert.Equal($"{upload.Length}:{Convert.ToHexStringLower(SHA256.HashData(upload))}", await demo.UploadAsync(new MemoryStream(upload)));
        await using (Stream download = await demo.DownloadAsync(150_000))
        {
            var copy = new MemoryStream();
            await download.CopyToAsync(copy);
            Assert.Equal(Enumerable.Range(0, 150_000).Select(i => (byte)i), copy.ToArray());
        }
        Sample sample = DemoStreamingTests.NewSample();
        DemoStreamingTests.AssertSame(sample, await demo.SampleAsync(sample));
        Assert.Equal(9, await demo.AddAsync(4, 5));   // and the connection is still fine
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task A_crash_mid_call_fails_the_call_typed_and_the_sidecar_is_restarted(string language)
    {
        await using var supervisor = new SidecarSupervisor(Options(language, new RecordingEvents(confirm: true)));
        IDemo demo = supervisor.GetClient<IDemo>();
        await supervisor.StartAsync();
        int first = supervisor.Status.Pid!.Value;
        Task<string> inFlight = demo.SleepAsync(30_000);
        Task exit = demo.ExitAsync(7);
        var crash = await Assert.ThrowsAsync<SidecarCrashedException>(() => inFlight).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(7, crash.ExitCode);
        await Assert.ThrowsAsync<SidecarCrashedException>(() => exit);
        Assert.Equal(5, await demo.AddAsync(2, 3));   // waits for the next instance
        Assert.NotEqual(first, supervisor.Status.Pid);
        Assert.Equal(1, supervisor.Status.RestartCount);
        Assert.False(Alive(first));
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task A_stopped_sidecar_fails_its_liveness_checks_and_is_killed_and_restarted(string language)
    {
        await using var supervisor = new SidecarSupervisor(Options(language, new RecordingEvents(confirm: true), o =>
        {
            o.HealthCheck.Enabled = true;
            o.HealthCheck.Interval = TimeSpan.FromMilliseconds(200);
            o.HealthCheck.Timeout = TimeSpan.FromMilliseconds(500);
            o.HealthCheck.FailureThreshold = 3;
        }));
        await supervisor.StartAsync();
        int pid = supervisor.Status.Pid!.Value;
        Assert.Equal(0, Native.kill(pid, Native.SIGSTOP));   // alive, answering nothing
        await DemoSidecarTests.Eventually(() => supervisor.Status is { State: SidecarState.Ready, Pid: int p } && p != pid, "the restarted instance");
        await DemoSidecarTests.Eventually(() => !Alive(pid), "the stopped instance to be killed and reaped");
        Assert.Contains("liveness checks", supervisor.Status.LastError);
        Assert.Equal(4, await supervisor.GetClient<IDemo>().AddAsync(2, 2));
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task A_graceful_stop_lets_the_call_in_flight_finish_and_the_sidecar_exit_cleanly(string language)
    {
        var options = new SidecarProcessOptions { Name = language + "-demo", ReadyTimeout = TimeSpan.FromSeconds(60) };
        (options.FileName, string script) = Command(language);
        options.Arguments.Add(script);
        options.UseJsonLines().Callbacks.AddContract<IDemoEvents>(new RecordingEvents(confirm: true));
        SidecarProcess sidecar = await SidecarProcess.StartAsync(options);
        int pid = sidecar.ProcessId;
        IDemo demo = sidecar.GetClient<IDemo>();
        Task<string> inFlight = demo.SleepAsync(3_000);
        await DemoSidecarTests.Eventually(async () => (await sidecar.PingAsync()).ActiveRequests >= 1, "the call to be running");
        Assert.False(inFlight.IsCompleted, "the call ended before the stop began: nothing was left to drain");
        int code = await sidecar.StopAsync();
        Assert.Equal("slept", await inFlight);
        Assert.Equal(0, code);
        await sidecar.DisposeAsync();
        Assert.False(Alive(pid));
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task End_of_stdin_makes_the_sidecar_say_goodbye_and_exit_zero(string language)
    {
        (string file, string script) = Command(language);
        var psi = new ProcessStartInfo(file) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(script);
        using Process p = Process.Start(psi)!;
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        string? first = await p.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Contains("\"method\":\"lifecycle.ready\"", first);
        p.StandardInput.Close();
        string rest = await p.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(20));
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(0, p.ExitCode);
        Assert.Contains("\"method\":\"lifecycle.shutdown\"", rest);
        Assert.StartsWith("__SIDECAR_READY__:{", await stderr);
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task Sidecars_of_a_SIGKILLed_parent_are_gone_within_seconds_even_one_busy_in_a_call(string language)
    {
        (string file, string script) = Command(language);
        string config = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string a in new[] { Path.Combine(DemoSidecar.RepoRoot, "tests", "ParentHost", "bin", config, "net10.0", "SidecarKit.Tests.ParentHost.dll"),
                     "command", "2", file, script })
            psi.ArgumentList.Add(a);
        using Process parent = Process.Start(psi)!;
        Task<string> parentErrors = parent.StandardError.ReadToEndAsync();
        string? line = await parent.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(120));
        Assert.True(line is not null && line.StartsWith("pids ", StringComparison.Ordinal), "the parent host failed: " + (line ?? await parentErrors));
        int[] pids = [.. line!["pids ".Length..].Split(' ').Select(int.Parse)];
        Assert.Equal(2, pids.Length);
        Assert.All(pids, pid => Assert.True(Alive(pid)));

        Assert.Equal(0, Native.kill(parent.Id, Native.SIGKILL));
        var clock = Stopwatch.StartNew();
        while (pids.Any(Alive) && clock.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(20);
        Assert.False(pids.Any(Alive), "orphaned sidecars still running: " + string.Join(", ", pids.Where(Alive)));
        // The first one was busy in a 10-minute call: draining on end of stdin would keep it; the parent watchdog must act.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the sidecars took {clock.ElapsedMilliseconds} ms to exit");
    }

    private static async IAsyncEnumerable<T> Items<T>(IEnumerable<T> items)
    {
        foreach (T item in items)
        {
            await Task.Yield();
            yield return item;
        }
    }

    // A process that exited but was not reaped yet (a zombie) is gone for our purpose.
    private static bool Alive(int pid) => SidecarKit.Tests.Support.ProcessInfo.IsAlive(pid);

    private sealed class SynchronousProgress(List<int> reports) : IProgress<int>
    {
        public void Report(int value) { lock (reports) reports.Add(value); }
    }
}
