using System.Diagnostics;

namespace SidecarKit.EndToEnd.Tests;

public class NoOrphanTests
{
    private static string Built(string project, string assembly)
    {
        string config = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        return Path.Combine(DemoSidecar.RepoRoot, "tests", project, "bin", config, "net10.0", assembly + ".dll");
    }

    [Fact]
    public Task Sidecars_of_a_SIGKILLed_parent_are_gone_within_seconds()
        => KillParentAndCheck(3, "demo", DemoSidecar.DllPath, "3");

    [Fact]
    public Task A_hung_sidecar_without_watchdog_dies_with_its_SIGKILLed_parent_by_the_parent_death_signal()
        => KillParentAndCheck(1, "hung", Built("ChaosSidecar", "SidecarKit.Tests.ChaosSidecar"));

    [Fact]
    public async Task Plain_programs_of_a_SIGKILLed_parent_are_gone_with_their_children_even_one_that_ignores_SIGTERM()
    {
        string folder = Directory.CreateTempSubdirectory("sidecarkit-orphans-").FullName;
        try
        {
            await KillParentAndCheck(3, "plain", folder);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task KillParentAndCheck(int expected, params string[] parentArgs)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        psi.ArgumentList.Add(Built("ParentHost", "SidecarKit.Tests.ParentHost"));
        foreach (string a in parentArgs) psi.ArgumentList.Add(a);
        using Process parent = Process.Start(psi)!;
        _ = parent.StandardError.ReadToEndAsync();
        string line = (await parent.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(120)))!;
        int[] pids = [.. line["pids ".Length..].Split(' ').Select(int.Parse)];
        Assert.Equal(expected, pids.Length);
        await Task.Delay(300); // a hung sidecar has stopped itself by now
        Assert.All(pids, pid => Assert.True(Directory.Exists($"/proc/{pid}")));

        Assert.Equal(0, Native.kill(parent.Id, Native.SIGKILL));
        var clock = Stopwatch.StartNew();
        while (pids.Any(Alive) && clock.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(20);
        TimeSpan gone = clock.Elapsed;
        Assert.False(pids.Any(Alive), "orphaned sidecars still running: " + string.Join(", ", pids.Where(Alive)));
        // Generous on a shared machine: the watchdog looks every 250 ms and the parent death signal is immediate, so
        // only a sidecar that missed both (and waited for some timeout of its own) would come near this.
        Assert.True(gone < TimeSpan.FromSeconds(5), $"the sidecars took {gone.TotalMilliseconds:0} ms to exit");
    }

    // A process that exited but was not reaped yet (a zombie) is gone for our purpose.
    private static bool Alive(int pid) => SidecarKit.Tests.Support.ProcessInfo.IsAlive(pid);
}
