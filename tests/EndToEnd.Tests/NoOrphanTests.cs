using System.Diagnostics;

namespace SidecarKit.EndToEnd.Tests;

public class NoOrphanTests
{
    [Fact]
    public async Task Sidecars_of_a_SIGKILLed_parent_are_gone_within_two_seconds()
    {
        string config = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        string parentDll = Path.Combine(DemoSidecar.RepoRoot, "tests", "ParentHost", "bin", config, "net10.0", "SidecarKit.Tests.ParentHost.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        psi.ArgumentList.Add(parentDll);
        psi.ArgumentList.Add(DemoSidecar.DllPath);
        psi.ArgumentList.Add("3");
        using Process parent = Process.Start(psi)!;
        _ = parent.StandardError.ReadToEndAsync();
        string line = (await parent.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(120)))!;
        int[] pids = [.. line["pids ".Length..].Split(' ').Select(int.Parse)];
        Assert.Equal(3, pids.Length);
        Assert.All(pids, pid => Assert.True(Directory.Exists($"/proc/{pid}")));

        Assert.Equal(0, Native.kill(parent.Id, Native.SIGKILL));
        var clock = Stopwatch.StartNew();
        while (pids.Any(Alive) && clock.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(20);
        TimeSpan gone = clock.Elapsed;
        Assert.False(pids.Any(Alive), "orphaned sidecars still running: " + string.Join(", ", pids.Where(Alive)));
        Assert.True(gone < TimeSpan.FromSeconds(2), $"the sidecars took {gone.TotalMilliseconds:0} ms to exit");
    }

    // A process that exited but was not reaped yet (a zombie) is gone for our purpose.
    private static bool Alive(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2] != "Z"; }
        catch (IOException) { return false; }
    }
}
