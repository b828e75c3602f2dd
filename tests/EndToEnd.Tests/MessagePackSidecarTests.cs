using SidecarKit.Processes;
using SidecarKit.Samples.Demo;
using SidecarKit.Transports.MessagePack;

namespace SidecarKit.EndToEnd.Tests;

/// <summary>The demo sidecar started with --transport msgpack, called through the same generated proxy.</summary>
public class MessagePackSidecarTests
{
    [Fact]
    public async Task Every_demo_method_over_messagepack_on_stdio()
    {
        var events = new RecordingEvents(confirm: true);
        var options = new SidecarProcessOptions { Name = "demo-msgpack", FileName = "dotnet", ReadyTimeout = TimeSpan.FromSeconds(60) }.UseMessagePack();
        options.Arguments.Add(DemoSidecar.DllPath);
        options.Arguments.Add("--transport");
        options.Arguments.Add("msgpack");
        options.Callbacks.AddContract<IDemoEvents>(events);
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options);
        Assert.Equal("msgpack", sidecar.ReadyInfo.Transport);
        IDemo demo = sidecar.GetClient<IDemo>();

        Assert.Equal(5, await demo.AddAsync(2, 3));
        var ada = new Person("Ada", 36, ["math"], new Address("St James's Square", "London"), new DateTimeOffset(1815, 12, 10, 0, 0, 0, TimeSpan.Zero));
        Person back = await demo.EchoAsync(ada);
        Assert.Equal(ada with { Tags = back.Tags }, back);
        Assert.Equal(DemoErrors.DivisionByZero, (await Assert.ThrowsAsync<SidecarRemoteException>(() => demo.DivideAsync(1, 0))).Code);
        var items = new List<int>();
        await foreach (int i in demo.CountAsync(300)) items.Add(i);
        Assert.Equal(Enumerable.Range(1, 300), items);
        Assert.Equal(100_000, (await demo.BlobAsync(100_000)).Length);
        Assert.Equal(4, await demo.WorkAsync(4));
        using (var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100)))
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => demo.SleepAsync(60_000, cts.Token));
        int[] many = await Task.WhenAll(Enumerable.Range(0, 1000).Select(i => demo.AddAsync(i, 1)));
        Assert.Equal(Enumerable.Range(1, 1000), many);
        var crash = await Assert.ThrowsAsync<SidecarCrashedException>(() => demo.ExitAsync(4));
        Assert.Equal(4, crash.ExitCode);
    }
}
