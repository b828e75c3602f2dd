using SidecarKit.Tests.Support;
using System.Collections.Concurrent;
using System.Diagnostics;
using SidecarKit.Processes;
using SidecarKit.Samples.Demo;
using SidecarKit.Supervision;
using SidecarKit.Transports.Grpc;
using SidecarKit.Transports.JsonLines;

namespace SidecarKit.EndToEnd.Tests;

/// <summary>
/// Attach and reattach (issue 18, item 2): a parent calls a demo sidecar it did not start, follows it across a restart
/// by someone else, and a parent killed and started again reattaches to the sidecars it left running, starting none twice
/// and leaving none behind.
/// </summary>
public sealed class AttachTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sidecarkit-attach-").FullName;
    private readonly List<Process> _processes = [];

    public void Dispose()
    {
        foreach (Process p in _processes)
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            p.Dispose();
        }
        // Detached sidecars of this test that a failed assertion left running: they outlive everything else on purpose.
        foreach (int pid in DetachedDemoSidecars(_dir)) Native.kill(pid, Native.SIGKILL);
        Directory.Delete(_dir, recursive: true);
    }

    // The evolving inventory sidecar (tests/Evolving) of the given build, run by hand at a fixed socket.
    private Process StartInventoryByHand(string socket, string token, string build)
    {
        string config = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        string dll = Path.Combine(Repository.Root, "tests", "Evolving", "Sidecar", "bin", config, "net10.0", "SidecarKit.Tests.Evolving.Sidecar.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true };
        foreach (string a in new[] { dll, "--transport", "grpc-unix", "--listen", socket, "--detached" }) psi.ArgumentList.Add(a);
        psi.Environment[SidecarProcess.TokenVariable] = token;
        psi.Environment["EVOLVING_CONTRACT"] = build;
        psi.Environment["EVOLVING_EVENTS"] = "none";
        Process p = Process.Start(psi)!;
        _processes.Add(p);
        _ = p.StandardOutput.ReadToEndAsync();
        _ = p.StandardError.ReadToEndAsync();
        return p;
    }

    [Fact]
    public async Task An_incompatible_instance_after_a_restart_fails_the_calls_typed_until_a_compatible_one_answers()
    {
        string socket = Path.Combine(_dir, "inventory.sock");
        string token = Guid.NewGuid().ToString("N");
        Process v1 = StartInventoryByHand(socket, token, "v1");
        await using AttachedSidecar attached = await AttachedSidecar.AttachAsync(Attach(socket, token, o => o.Name = "inventory"));
        var inventory = attached.GetClient<SidecarKit.Tests.Evolving.V1.IInventory>();
        Assert.Equal("item7", (await inventory.GetAsync(7)).Name);

        // Upgraded by whoever runs it to a build that breaks the contract: the attachment fails, the calls say why.
        v1.Kill();
        await v1.WaitForExitAsync();
        StartInventoryByHand(socket, token, "broken");
        await WaitForStateAsync(attached, SidecarState.Failed);
        var broken = await Assert.ThrowsAsync<SidecarContractException>(() => inventory.GetAsync(7));
        Assert.Contains("inventory", broken.Message);
        Assert.Equal(SidecarState.Failed, attached.Status.State);
        Assert.NotNull(attached.Status.LastError);

        // Rolled back: a compatible instance answers again, and so do the calls.
        foreach (Process p in _processes.Where(p => !p.HasExited)) p.Kill();
        StartInventoryByHand(socket, token, "v2");
        await WaitForStateAsync(attached, SidecarState.Ready);
        Assert.Equal("item8", (await inventory.GetAsync(8)).Name);
        Assert.Equal("v2", attached.ReadyInfo.Version);
    }

    private static async Task WaitForStateAsync(AttachedSidecar attached, SidecarState state)
    {
        var clock = Stopwatch.StartNew();
        while (attached.State != state)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"still {attached.State}, waiting for {state} ({attached.Status.LastError})");
            await Task.Delay(50);
        }
    }

    // The demo sidecar as another process manager would run it: its own token, a fixed socket, stdin /dev/null (a
    // container's, nohup's, systemd's), which is not a parent's pipe and must not stop it.
    private Process StartByHand(string socket, string token, string transport = "grpc-unix")
    {
        var psi = new ProcessStartInfo("sh") { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec dotnet \"$0\" --transport \"$2\" --listen \"$1\" < /dev/null");
        psi.ArgumentList.Add(DemoSidecar.DllPath);
        psi.ArgumentList.Add(socket);
        psi.ArgumentList.Add(transport);
        psi.Environment[SidecarProcess.TokenVariable] = token;
        Process p = Process.Start(psi)!;
        _processes.Add(p);
        _ = p.StandardOutput.ReadToEndAsync();
        _ = p.StandardError.ReadToEndAsync();
        return p;
    }

    private static SidecarAttachOptions Attach(string socket, string token, Action<SidecarAttachOptions>? configure = null)
    {
        var options = new SidecarAttachOptions
        {
            Name = "demo",
            Address = socket,
            Client = { Token = token },
            ReadyTimeout = TimeSpan.FromSeconds(60),
            LivenessInterval = TimeSpan.FromMilliseconds(200),
            ReconnectDelay = TimeSpan.FromMilliseconds(100),
            MaxReconnectDelay = TimeSpan.FromMilliseconds(500),
        };
        configure?.Invoke(options);
        return options;
    }

    [Theory]
    [InlineData("grpc-unix")]
    [InlineData("grpc")]   // TCP: grpc-dotnet's own reconnect backoff must follow the attachment's
    public async Task A_parent_attaches_to_a_sidecar_it_did_not_start_and_follows_it_across_a_restart(string transport)
    {
        string socket = transport == "grpc" ? "127.0.0.1:" + Ports.Free() : Path.Combine(_dir, "demo.sock");
        string token = Guid.NewGuid().ToString("N");
        Process first = StartByHand(socket, token, transport);

        await using AttachedSidecar attached = await AttachedSidecar.AttachAsync(Attach(socket, token));
        var states = new ConcurrentQueue<SidecarState>();
        attached.StateChanged += (_, change) => states.Enqueue(change.Status.State);
        Assert.Equal(SidecarState.Ready, attached.State);
        Assert.Equal(first.Id, attached.ReadyInfo.Pid);
        string firstInstance = attached.ReadyInfo.InstanceId!;
        Assert.Contains(attached.ReadyInfo.Contracts!, c => c.Name == "demo");
        IDemo demo = attached.GetClient<IDemo>();
        Assert.Equal(5, await demo.AddAsync(2, 3));
        var person = new Person("Ada", 36, ["math"], null, null);
        Assert.Equal("Ada", (await demo.EchoAsync(person)).Name);

        // Still there after a while with stdin at /dev/null (the liveness checks run meanwhile).
        await Task.Delay(1000);
        Assert.False(first.HasExited);

        // Killed and started again by whoever runs it, at the same address.
        first.Kill();
        await first.WaitForExitAsync();
        Task<Person> echoMeanwhile = demo.EchoAsync(person);   // idempotent: waits for (or is retried on) the next instance
        Process second = StartByHand(socket, token, transport);
        Assert.Equal("Ada", (await echoMeanwhile.WaitAsync(TimeSpan.FromSeconds(60))).Name);
        Assert.Equal(5, await demo.AddAsync(2, 3));
        Assert.Equal(second.Id, attached.ReadyInfo.Pid);
        Assert.NotEqual(firstInstance, attached.ReadyInfo.InstanceId);
        Assert.Contains(states, s => s is SidecarState.Unhealthy or SidecarState.Restarting);   // the loss was seen
        Assert.Equal(SidecarState.Ready, attached.State);
        Assert.True(attached.Status.RestartCount >= 1);

        // Disposing detaches: the sidecar serves on.
        await attached.DisposeAsync();
        await Task.Delay(300);
        Assert.False(second.HasExited);
        await using AttachedSidecar again = await AttachedSidecar.AttachAsync(Attach(socket, token));
        Assert.Equal(5, await again.GetClient<IDemo>().AddAsync(2, 3));
    }

    [Fact]
    public async Task Attaching_fails_clearly_to_nothing_to_another_instance_and_without_the_token()
    {
        string socket = Path.Combine(_dir, "demo.sock");
        string token = Guid.NewGuid().ToString("N");

        var nothing = await Assert.ThrowsAsync<SidecarStartException>(() =>
            AttachedSidecar.AttachAsync(Attach(socket, token, o => o.ReadyTimeout = TimeSpan.FromSeconds(1))));
        Assert.Contains("was not ready within 1 s", nothing.Message);

        StartByHand(socket, token);
        await using (AttachedSidecar ready = await AttachedSidecar.AttachAsync(Attach(socket, token))) { }

        var other = await Assert.ThrowsAsync<SidecarStartException>(() =>
            AttachedSidecar.AttachAsync(Attach(socket, token, o => o.InstanceId = "not-this-one")));
        Assert.Contains("not the expected not-this-one", other.Message);

        var unauthenticated = await Assert.ThrowsAsync<SidecarStartException>(() =>
            AttachedSidecar.AttachAsync(Attach(socket, "wrong-token", o => o.ReadyTimeout = TimeSpan.FromSeconds(2))));
        Assert.Contains("Unauthenticated", unauthenticated.Message);
        Assert.Contains("authorization: Bearer", unauthenticated.Message);
    }

    [Fact]
    public async Task A_killed_parent_started_again_reattaches_to_the_sidecars_it_left_and_none_is_started_twice_or_orphaned()
    {
        (int[] pids, bool[] reattached, int[] sums) first = await RunParentAsync();
        Assert.Equal([false, false], first.reattached);
        Assert.Equal([5, 5], first.sums);
        Assert.All(first.pids, pid => Assert.True(Alive(pid), $"sidecar {pid} died with its parent"));

        (int[] pids, bool[] reattached, int[] sums) second = await RunParentAsync();
        Assert.Equal([true, true], second.reattached);
        Assert.Equal(first.pids, second.pids);   // the same processes: none started twice
        Assert.Equal([5, 5], second.sums);
        Assert.Equal(first.pids.Order(), DetachedDemoSidecars(_dir).Order());   // and no other detached demo sidecar of this test runs

        // This process reattaches too, and stops them for good: their records go, and nothing is left running.
        for (int i = 0; i < 2; i++)
        {
            string record = Path.Combine(_dir, $"demo{i}.json");
            var options = new SidecarProcessOptions { Name = $"demo{i}", FileName = "dotnet", Arguments = { DemoSidecar.DllPath, "--transport", "grpc-unix" }, RequireCallbacks = false }.UseGrpc();
            await using AttachedSidecar sidecar = await SidecarReattach.StartOrReattachAsync(options, record);
            Assert.True(sidecar.Reattached);
            Assert.Equal(first.pids[i], sidecar.ReadyInfo.Pid);
            await sidecar.StopAsync();
            Assert.False(File.Exists(record));
        }
        var clock = Stopwatch.StartNew();
        while (first.pids.Any(Alive) && clock.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(20);
        Assert.False(first.pids.Any(Alive), "still running after StopAsync: " + string.Join(", ", first.pids.Where(Alive)));
    }

    [Fact]
    public async Task A_record_whose_process_is_gone_starts_a_new_sidecar()
    {
        string record = Path.Combine(_dir, "demo.json");
        new SidecarReattachRecord("demo", int.MaxValue - 7, "gone", "grpc-unix", Path.Combine(_dir, "gone.sock"), "t").Save(record);
        var options = new SidecarProcessOptions { Name = "demo", FileName = "dotnet", Arguments = { DemoSidecar.DllPath, "--transport", "grpc-unix" }, RequireCallbacks = false }.UseGrpc();
        await using AttachedSidecar sidecar = await SidecarReattach.StartOrReattachAsync(options, record);
        try
        {
            Assert.False(sidecar.Reattached);
            SidecarReattachRecord saved = SidecarReattachRecord.Load(record)!;
            Assert.Equal((sidecar.ReadyInfo.Pid, sidecar.ReadyInfo.InstanceId), (saved.Pid, saved.InstanceId));
            if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(record));   // it holds the token
            Assert.Equal(5, await sidecar.GetClient<IDemo>().AddAsync(2, 3));
        }
        finally
        {
            await sidecar.StopAsync();
        }
        Assert.False(Alive(sidecar.ReadyInfo.Pid));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_detached_sidecar_outlives_the_end_of_stdin_and_its_parents_exit_and_stops_on_SIGTERM(bool detached)
    {
        // Its "parent" is a process that has already exited, and its stdin (a pipe) is closed once it is ready: a sidecar
        // that is not detached stops (the test's control), a detached one serves on.
        using Process gone = Process.Start(new ProcessStartInfo("true"))!;
        await gone.WaitForExitAsync();
        string socket = Path.Combine(_dir, "detached.sock");
        string token = Guid.NewGuid().ToString("N");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in new[] { DemoSidecar.DllPath, "--transport", "grpc-unix", "--listen", socket }) psi.ArgumentList.Add(a);
        if (detached) psi.ArgumentList.Add("--detached");
        psi.Environment[SidecarProcess.ParentPidVariable] = gone.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.Environment[SidecarProcess.TokenVariable] = token;
        using Process sidecar = Process.Start(psi)!;
        _processes.Add(sidecar);
        _ = sidecar.StandardOutput.ReadToEndAsync();
        var stderr = new ConcurrentQueue<string>();
        _ = Task.Run(async () => { while (await sidecar.StandardError.ReadLineAsync() is { } line) stderr.Enqueue(line); });
        var clock = Stopwatch.StartNew();
        while (!stderr.Any(l => l.StartsWith(SidecarReadyInfo.MarkerPrefix, StringComparison.Ordinal)) && !sidecar.HasExited && clock.Elapsed < TimeSpan.FromSeconds(60))
            await Task.Delay(20);
        sidecar.StandardInput.Close();
        if (!detached)
        {
            await sidecar.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));   // stops, whatever the machine's load
            return;
        }
        await Task.Delay(1000);
        // Still serving: attached to and called after both of its reasons to stop have come.
        await using (AttachedSidecar attached = await AttachedSidecar.AttachAsync(Attach(socket, token)))
            Assert.Equal(5, await attached.GetClient<IDemo>().AddAsync(2, 3));
        Assert.False(sidecar.HasExited, "the detached sidecar stopped: " + string.Join(" | ", stderr));
        Assert.Contains(stderr, l => l.Contains("Detached:", StringComparison.Ordinal));
        Assert.Equal(0, Native.kill(sidecar.Id, Native.SIGTERM));
        await sidecar.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(0, sidecar.ExitCode);
    }

    [Fact]
    public async Task Detached_on_stdio_is_refused_with_the_reason()
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in new[] { DemoSidecar.DllPath, "--transport", "jsonl", "--detached" }) psi.ArgumentList.Add(a);
        using Process sidecar = Process.Start(psi)!;
        _processes.Add(sidecar);
        Task<string> stderr = sidecar.StandardError.ReadToEndAsync();
        await sidecar.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(2, sidecar.ExitCode);
        Assert.Contains("a detached sidecar needs a socket transport", await stderr);

        var options = new SidecarProcessOptions { Name = "demo", FileName = "dotnet", Arguments = { DemoSidecar.DllPath }, Detached = true }.UseJsonLines();
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => SidecarProcess.StartAsync(options));
        Assert.Contains("socket transport", refused.Message);
    }

    // One run of ParentHost's reattach mode with two sidecars, SIGKILLed once it has printed what it did.
    private async Task<(int[] Pids, bool[] Reattached, int[] Sums)> RunParentAsync()
    {
        string config = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        psi.ArgumentList.Add(Path.Combine(DemoSidecar.RepoRoot, "tests", "ParentHost", "bin", config, "net10.0", "SidecarKit.Tests.ParentHost.dll"));
        foreach (string a in new[] { "reattach", DemoSidecar.DllPath, _dir, "2" }) psi.ArgumentList.Add(a);
        using Process parent = Process.Start(psi)!;
        Task<string> stderr = parent.StandardError.ReadToEndAsync();
        try
        {
            string[] lines = new string[3];
            for (int i = 0; i < 3; i++)
                lines[i] = await parent.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(120))
                    ?? throw new InvalidOperationException("ParentHost ended: " + await stderr);
            return ([.. lines[0].Split(' ')[1..].Select(int.Parse)], [.. lines[1].Split(' ')[1..].Select(bool.Parse)], [.. lines[2].Split(' ')[1..].Select(int.Parse)]);
        }
        finally
        {
            Assert.Equal(0, Native.kill(parent.Id, Native.SIGKILL));
            await parent.WaitForExitAsync();
            await Task.Delay(300);   // what would die with it has died by now
        }
    }

    // Every running demo sidecar started detached by this test's parents (SIDECARKIT_TEST_RUN=<its folder>).
    private static List<int> DetachedDemoSidecars(string run)
    {
        var found = new List<int>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid) || !Alive(pid)) continue;
            try
            {
                string[] environment = File.ReadAllText(Path.Combine(dir, "environ")).Split('\0');
                if (File.ReadAllText(Path.Combine(dir, "cmdline")).Contains(Path.GetFileName(DemoSidecar.DllPath), StringComparison.Ordinal)
                    && environment.Contains(SidecarProcess.DetachedVariable + "=1") && environment.Contains("SIDECARKIT_TEST_RUN=" + run))
                    found.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return found;
    }

    private static bool Alive(int pid) => ProcessInfo.IsAlive(pid);
}
