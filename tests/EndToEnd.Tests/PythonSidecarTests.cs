using SidecarKit.Samples.Demo;
using SidecarKit.Supervision;
using SidecarKit.Transports.JsonLines;

namespace SidecarKit.EndToEnd.Tests;

/// <summary>
/// The stdlib-only Python demo sidecar (samples/Polyglot/python/demo_sidecar.py), supervised by the C# runtime and
/// called with the same generated IDemo proxy as the C# sidecar: it starts, is called, is killed, is restarted.
/// </summary>
public class PythonSidecarTests
{
    private const string Python = "/usr/bin/python3";

    private static SidecarSupervisorOptions Options(RecordingEvents events)
    {
        if (!File.Exists(Python))
            throw new InvalidOperationException($"{Python} is missing: install Debian's python3 (scripts/test.sh does) to run the polyglot tests.");
        var options = new SidecarSupervisorOptions();
        options.Process.Name = "python-demo";
        options.Process.FileName = Python;
        options.Process.Arguments.Add(Path.Combine(DemoSidecar.RepoRoot, "samples", "Polyglot", "python", "demo_sidecar.py"));
        options.Process.UseJsonLines();
        options.Process.Callbacks.AddContract<IDemoEvents>(events);
        options.Restart.InitialDelay = TimeSpan.FromMilliseconds(50);
        options.HealthCheck.Interval = TimeSpan.FromMilliseconds(500);
        return options;
    }

    [Fact]
    public async Task The_python_sidecar_is_called_killed_and_restarted_with_the_generated_proxy()
    {
        var events = new RecordingEvents(confirm: true);
        await using var supervisor = new SidecarSupervisor(Options(events));
        IDemo demo = supervisor.GetClient<IDemo>(); // also checks the shapes the Python sidecar announces against IDemo
        await supervisor.StartAsync();
        int first = supervisor.Status.Pid!.Value;

        Assert.Equal(5, await demo.AddAsync(2, 3));
        var ada = new Person("Ada", 36, ["math"], new Address("St James's Square", "London"), new DateTimeOffset(1815, 12, 10, 0, 0, 0, TimeSpan.Zero));
        Person back = await demo.EchoAsync(ada);
        Assert.Equal(ada with { Tags = back.Tags }, back);
        Assert.Equal(ada.Tags, back.Tags);
        var e = await Assert.ThrowsAsync<SidecarRemoteException>(() => demo.DivideAsync(1, 0));
        Assert.Equal(DemoErrors.DivisionByZero, e.Code);
        var items = new List<int>();
        await foreach (int i in demo.CountAsync(200)) items.Add(i); // beyond the initial window: credit flows
        Assert.Equal(Enumerable.Range(1, 200), items);
        Assert.Equal(3, await demo.WorkAsync(3));
        lock (events.Progress) Assert.Equal([("work", 0), ("work", 33), ("work", 66)], events.Progress);
        using (var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200)))
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => demo.SleepAsync(30_000, cts.Token));

        Native.kill(first, Native.SIGKILL);
        // A call sent before the supervisor has seen the death would be "in flight" and fail as a crash; wait for it.
        await DemoSidecarTests.Eventually(() => supervisor.Status is { State: SidecarState.Ready, Pid: int p } && p != first, "the restarted instance");
        Assert.Equal(9, await demo.AddAsync(4, 5)); // the next instance
        Assert.NotEqual(first, supervisor.Status.Pid);
        Assert.Equal(1, supervisor.Status.RestartCount);
    }
}
