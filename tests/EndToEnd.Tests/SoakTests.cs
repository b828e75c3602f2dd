using SidecarKit.Samples.Demo;
using SidecarKit.Supervision;

namespace SidecarKit.EndToEnd.Tests;

/// <summary>Runs alone: it counts the test process's children and descriptors, which parallel tests would disturb.</summary>
[CollectionDefinition(nameof(SoakTests), DisableParallelization = true)]
public sealed class SoakCollection;

[Collection(nameof(SoakTests))]
public class SoakTests
{
    [Fact]
    public async Task Eight_callers_while_the_sidecar_is_SIGKILLed_fifty_times()
    {
        var options = new SidecarSupervisorOptions { Process = DemoSidecar.Options() };
        options.Restart.Policy = RestartPolicy.Always;
        options.Restart.InitialDelay = TimeSpan.FromMilliseconds(10);
        options.Restart.Multiplier = 1;
        options.Restart.Jitter = 0;
        options.Restart.MaxRestarts = 1000;
        options.HealthCheck.Enabled = false;
        var supervisor = new SidecarSupervisor(options);
        IDemo demo = supervisor.GetClient<IDemo>();
        await supervisor.StartAsync();
        // Counted with the first instance running (its 3 pipes included): .NET opens a few descriptors of its own on
        // the first process start, which are not ours to count.
        int pipesBefore = Pipes();
        int socketsBefore = Sockets();

        using var stop = new CancellationTokenSource();
        long succeeded = 0, crashed = 0;
        var unexpected = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        Task[] callers = [.. Enumerable.Range(0, 8).Select(caller => Task.Run(async () =>
        {
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                try
                {
                    // Distinct operands per call: a response delivered to the wrong caller, or twice, gives a wrong sum.
                    int sum = await demo.AddAsync(caller * 1_000_000, i).WaitAsync(TimeSpan.FromSeconds(60));
                    if (sum != caller * 1_000_000 + i) unexpected.Enqueue(new Exception($"caller {caller} call {i}: got {sum}"));
                    else Interlocked.Increment(ref succeeded);
                }
                catch (SidecarCrashedException) { Interlocked.Increment(ref crashed); }
                catch (Exception e) { unexpected.Enqueue(e); }
            }
        }))];

        var killed = new HashSet<int>();
        for (int kill = 0; kill < 50; kill++)
        {
            await DemoSidecarTests.Eventually(() => supervisor.Status is { State: SidecarState.Ready, Pid: int p } && !killed.Contains(p), "the next instance to be ready");
            // Each instance answers some calls before it dies (on a loaded machine a few milliseconds may not be enough
            // for any): what is counted is that calls get through between kills, not how fast.
            long before = Interlocked.Read(ref succeeded);
            await DemoSidecarTests.Eventually(() => Interlocked.Read(ref succeeded) >= before + 2, "calls answered by the new instance");
            await Task.Delay(Random.Shared.Next(5, 60)); // let calls be in flight
            int pid = supervisor.Status.Pid!.Value;
            killed.Add(pid);
            Native.kill(pid, Native.SIGKILL);
        }
        await DemoSidecarTests.Eventually(() => supervisor.Status is { State: SidecarState.Ready, Pid: int p } && !killed.Contains(p), "recovery after the last kill");
        stop.Cancel();
        await Task.WhenAll(callers).WaitAsync(TimeSpan.FromSeconds(90)); // nothing hangs
        await supervisor.StopAsync();

        Assert.Empty(unexpected);
        Assert.True(succeeded > 100, $"only {succeeded} calls succeeded");
        Assert.True(crashed > 0, "no call was caught by a crash: the test did not test anything");
        Assert.True(supervisor.Status.RestartCount >= 50, $"{supervisor.Status.RestartCount} restarts");

        // Nothing left over: no child processes, no leaked pipes.
        int self = Environment.ProcessId;
        await DemoSidecarTests.Eventually(() => ChildrenOf(self).Count == 0, "no child processes left");
        Assert.True(Pipes() <= pipesBefore, $"pipes: {pipesBefore} before, {Pipes()} after");
        Assert.True(Sockets() <= socketsBefore, $"sockets: {socketsBefore} before, {Sockets()} after");
    }

    private static int Pipes() => Descriptors("pipe:");

    private static int Sockets() => Descriptors("socket:");

    // Counted by kind: the descriptors a sidecar connection could leak (other kinds, such as assemblies being loaded
    // by the runtime, come and go for reasons of their own).
    private static int Descriptors(string kind) => Directory.GetFiles("/proc/self/fd").Count(f =>
    {
        try { return new FileInfo(f).LinkTarget?.StartsWith(kind, StringComparison.Ordinal) == true; }
        catch (IOException) { return false; }
    });

    private static List<int> ChildrenOf(int parent)
    {
        var children = new List<int>();
        foreach (string dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            try
            {
                string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(fields[1]) == parent && fields[0] != "Z") children.Add(pid);
            }
            catch (IOException) { }
        }
        return children;
    }
}
