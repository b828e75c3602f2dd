using SidecarKit.Processes;
using SidecarKit.Samples.Demo;
using SidecarKit.Supervision;
using SidecarKit.Tests.Support;

namespace SidecarKit.Transports.Grpc.Tests;

/// <summary>
/// A graceful stop never loses an answer the sidecar sent, over gRPC (see <see cref="DrainCheck"/>): the answer is on
/// the HTTP/2 connection when the process exits, and the parent must read it before it lets the channel go.
/// </summary>
public class GrpcDrainRaceTests
{
    [Theory]
    [InlineData("grpc")]
    [InlineData("grpc-unix")]
    public Task A_graceful_stop_delivers_every_answer_in_flight(string transport) => DrainCheck.RepeatAsync(async round =>
    {
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(GrpcSidecarTests.Options(transport));
        IDemo demo = sidecar.GetClient<IDemo>();
        Assert.Equal(3, await demo.AddAsync(1, 2));
        await DrainCheck.AssertEveryAnswerArrivesAsync(transport, round,
            ms => demo.SleepAsync(ms), (a, b) => demo.AddAsync(a, b), async () => (await sidecar.PingAsync()).ActiveRequests, () => sidecar.StopAsync());
        Assert.Equal(0, await sidecar.Exited);
    });

    [Fact]
    public Task A_supervisor_dispose_delivers_every_answer_in_flight() => DrainCheck.RepeatAsync(async round =>
    {
        var supervisor = new SidecarSupervisor(new SidecarSupervisorOptions { Process = GrpcSidecarTests.Options("grpc") });
        await supervisor.StartAsync();
        IDemo demo = supervisor.GetClient<IDemo>();
        Assert.Equal(3, await demo.AddAsync(1, 2));
        await DrainCheck.AssertEveryAnswerArrivesAsync("grpc", round,
            ms => demo.SleepAsync(ms), (a, b) => demo.AddAsync(a, b), async () => (await supervisor.PingAsync()).ActiveRequests, async () => await supervisor.DisposeAsync());
        Assert.Equal(0, supervisor.Status.LastExitCode ?? 0);
    }, rounds: 20);
}
