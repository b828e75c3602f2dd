using SidecarKit.Lifecycle;
using SidecarKit.Processes;
using SidecarKit.Rpc;
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

    [Theory]
    [InlineData("grpc")]
    [InlineData("grpc-unix")]
    public Task A_request_after_the_shutdown_answer_is_refused(string transport) => DrainCheck.RepeatAsync(async round =>
    {
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(GrpcSidecarTests.Options(transport));
        IDemo demo = sidecar.GetClient<IDemo>();
        await DrainCheck.AssertNothingRunsAfterShutdownAsync(transport, round,
            ms => demo.SleepAsync(ms), (a, b) => demo.AddAsync(a, b), async () => (await sidecar.PingAsync()).ActiveRequests,
            () => sidecar.GetClient<ISidecarSystem>().ShutdownAsync());
    }, rounds: 10);

    [Theory]
    [InlineData("grpc")]
    [InlineData("grpc-unix")]
    public async Task Calls_beyond_the_concurrency_limit_are_RESOURCE_EXHAUSTED_and_system_calls_still_answer(string transport)
    {
        // The same admission rules as the RPC connections (InboundAdmission): the limit, with system.* exempt.
        SidecarProcessOptions options = GrpcSidecarTests.Options(transport);
        options.Environment["DEMO_MAX_CONCURRENT"] = "2";
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options);
        IDemo demo = sidecar.GetClient<IDemo>();
        using var cancel = new CancellationTokenSource();
        Task<string>[] sleeps = [demo.SleepAsync(60_000, cancel.Token), demo.SleepAsync(60_000, cancel.Token)];
        await GrpcSidecarTests.WaitForAsync(async () => (await sidecar.PingAsync()).ActiveRequests == 2);
        var busy = await Assert.ThrowsAsync<GrpcStatusException>(() => demo.AddAsync(1, 2));
        Assert.Equal((GrpcStatusCode.ResourceExhausted, RpcErrorCodes.ServerBusy), (busy.Status, busy.Code));
        Assert.Equal("ok", (await sidecar.PingAsync()).Status);   // exempt
        cancel.Cancel();
        foreach (Task<string> sleep in sleeps) await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sleep);
        await GrpcSidecarTests.WaitForAsync(async () => (await sidecar.PingAsync()).ActiveRequests == 0);
        Assert.Equal(3, await demo.AddAsync(1, 2));
    }

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
