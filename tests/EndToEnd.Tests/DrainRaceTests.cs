using SidecarKit.Lifecycle;
using SidecarKit.Carriers;
using SidecarKit.Processes;
using SidecarKit.Samples.Demo;
using SidecarKit.Supervision;
using SidecarKit.Tests.Support;

namespace SidecarKit.EndToEnd.Tests;

/// <summary>
/// A graceful stop never loses an answer the sidecar sent, on the JSON-RPC and MessagePack-RPC carriers (the gRPC ones
/// are in the gRPC tests): see <see cref="DrainCheck"/>.
/// </summary>
public class DrainRaceTests
{
    internal static SidecarProcessOptions Options(string transport) => transport switch
    {
        "jsonl" => DemoSidecar.Options(),
        "msgpack" => MessagePackSidecarTests.Options(SidecarCarrier.Stdio),
        "msgpack-unix" => MessagePackSidecarTests.Options(SidecarCarrier.UnixSocket),
        "msgpack-pipe" => MessagePackSidecarTests.Options(SidecarCarrier.NamedPipe),
        _ => throw new ArgumentOutOfRangeException(nameof(transport)),
    };

    [Theory]
    [InlineData("jsonl")]
    [InlineData("msgpack")]
    [InlineData("msgpack-unix")]
    [InlineData("msgpack-pipe")]
    public Task A_graceful_stop_delivers_every_answer_in_flight(string transport) => DrainCheck.RepeatAsync(async round =>
    {
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(Options(transport));
        IDemo demo = sidecar.GetClient<IDemo>();
        Assert.Equal(3, await demo.AddAsync(1, 2));   // connected and serving
        await DrainCheck.AssertEveryAnswerArrivesAsync(transport, round,
            ms => demo.SleepAsync(ms), (a, b) => demo.AddAsync(a, b), async () => (await sidecar.PingAsync()).ActiveRequests, () => sidecar.StopAsync());
        Assert.Equal(0, await sidecar.Exited);
    });

    [Theory]
    [InlineData("jsonl")]
    [InlineData("msgpack")]
    [InlineData("msgpack-unix")]
    [InlineData("msgpack-pipe")]
    public Task A_request_after_the_shutdown_answer_is_refused(string transport) => DrainCheck.RepeatAsync(async round =>
    {
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(Options(transport));
        IDemo demo = sidecar.GetClient<IDemo>();
        await DrainCheck.AssertNothingRunsAfterShutdownAsync(transport, round,
            ms => demo.SleepAsync(ms), (a, b) => demo.AddAsync(a, b), async () => (await sidecar.PingAsync()).ActiveRequests,
            () => sidecar.GetClient<ISidecarSystem>().ShutdownAsync());
    }, rounds: 10);

    [Theory]
    [InlineData("jsonl")]
    [InlineData("msgpack-unix")]
    public Task A_supervisor_dispose_delivers_every_answer_in_flight(string transport) => DrainCheck.RepeatAsync(async round =>
    {
        var supervisor = new SidecarSupervisor(new SidecarSupervisorOptions { Process = Options(transport) });
        await supervisor.StartAsync();
        IDemo demo = supervisor.GetClient<IDemo>();
        Assert.Equal(3, await demo.AddAsync(1, 2));
        await DrainCheck.AssertEveryAnswerArrivesAsync(transport, round,
            ms => demo.SleepAsync(ms), (a, b) => demo.AddAsync(a, b), async () => (await supervisor.PingAsync()).ActiveRequests, async () => await supervisor.DisposeAsync());
        Assert.Equal(0, supervisor.Status.LastExitCode ?? 0);
    }, rounds: 10);
}
