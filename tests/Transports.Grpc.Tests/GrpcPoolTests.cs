using SidecarKit.Lifecycle;
using SidecarKit.Processes;
using SidecarKit.Samples.Demo;
using SidecarKit.Tests.Support;

namespace SidecarKit.Transports.Grpc.Tests;

/// <summary>
/// Three demo sidecars behind one channel (issue 18, item 3): grpc-dotnet's round robin spreads the calls, and when one
/// sidecar is killed, calls of the idempotent <c>demo.echo</c> still succeed (retried on another) while a non-idempotent
/// call that was on it fails typed.
/// </summary>
public sealed class GrpcPoolTests : IAsyncDisposable
{
    private static ContractDescriptor D<T>() where T : class, ISidecarContract<T> => T.Descriptor;

    private readonly string _token = Guid.NewGuid().ToString("N");
    private readonly List<SidecarProcess> _sidecars = [];

    public async ValueTask DisposeAsync()
    {
        foreach (SidecarProcess sidecar in _sidecars) await sidecar.DisposeAsync();
    }

    private async Task<string[]> StartAsync(int count)
    {
        for (int i = 0; i < count; i++)
        {
            SidecarProcessOptions options = GrpcSidecarTests.Options("grpc");
            options.Name = "pool-" + i;
            options.Environment[SidecarProcess.TokenVariable] = _token;   // one token for the pool's one channel
            _sidecars.Add(await SidecarProcess.StartAsync(options));
        }
        return [.. _sidecars.Select(s => s.ReadyInfo.ListenInfo!)];
    }

    [Fact]
    public async Task Calls_spread_over_the_pool_and_idempotent_ones_survive_a_sidecar_killed_mid_run()
    {
        string[] addresses = await StartAsync(3);
        await using GrpcSidecarChannel pool = GrpcSidecarPool.Create(addresses, [D<IDemo>()], new GrpcClientOptions { Token = _token });
        IDemo demo = pool.GetClient<IDemo>();
        ISidecarSystem system = pool.GetClient<ISidecarSystem>();

        // Round robin over the ready connections: every sidecar answers some of them.
        var pids = new HashSet<int>();
        for (int i = 0; i < 60 && pids.Count < 3; i++) pids.Add((await system.PingAsync()).Pid);
        Assert.Equal(_sidecars.Select(s => s.ProcessId).Order(), pids.Order());
        // A client stream through the balancer's handler chain (its request body coalesced) arrives whole.
        Assert.Equal(5_000L * 3, await demo.SumAsync(SidecarKit.Tests.Support.AsyncItems.Of(Enumerable.Repeat(3, 5_000).ToArray())));

        // Calls in flight on every sidecar; then one of them dies.
        Task<string>[] sleeps = [.. Enumerable.Range(0, 6).Select(_ => demo.SleepAsync(3_000))];
        await Task.Delay(500);
        SidecarProcess victim = _sidecars[1];
        Assert.Equal(0, kill(victim.ProcessId, 9));   // SIGKILL
        for (int i = 0; i < 100; i++)   // idempotent: retried elsewhere when needed
        {
            var person = new Person("p" + i, i, [], null, null);
            Assert.Equal(person.Name, (await demo.EchoAsync(person)).Name);
        }

        int slept = 0, failed = 0;
        foreach (Task<string> sleep in sleeps)
        {
            try
            {
                Assert.Equal("slept", await sleep);
                slept++;
            }
            catch (GrpcStatusException e)
            {
                Assert.Contains(e.Status, new[] { GrpcStatusCode.Unavailable, GrpcStatusCode.Internal });
                Assert.Equal("demo.sleep", e.Method);
                failed++;
            }
        }
        Assert.True(failed >= 1 && slept >= 3, $"{slept} sleeps answered, {failed} failed: the ones on the killed sidecar must fail, the others answer");
        // The pool goes on with the two left. system.ping is not idempotent: one the balancer still sent to the dead
        // sidecar (it retries its connection now and then) fails typed instead of being tried again.
        pids.Clear();
        int answered = 0;
        for (int i = 0; i < 60; i++)
        {
            try
            {
                pids.Add((await system.PingAsync()).Pid);
                answered++;
            }
            catch (GrpcStatusException e) when (e.Status == GrpcStatusCode.Unavailable) { }
        }
        Assert.True(answered >= 30, $"{answered} of 60 pings answered");
        Assert.DoesNotContain(victim.ProcessId, pids);
        Assert.Equal(2, pids.Count);
    }

    [Fact]
    public void A_pool_refuses_callbacks_and_an_address_that_is_not_host_and_port()
    {
        var options = new GrpcClientOptions { Callbacks = new SidecarKit.Rpc.RpcHandlerTable().AddContract<IDemoEvents>(new NoEvents()) };
        Assert.Throws<NotSupportedException>(() => GrpcSidecarPool.Create(["127.0.0.1:1"], [D<IDemo>()], options));
        Assert.Throws<ArgumentException>(() => GrpcSidecarPool.Create(["/run/demo.sock"], [D<IDemo>()]));
        Assert.Throws<ArgumentException>(() => GrpcSidecarPool.Create(Array.Empty<string>(), [D<IDemo>()]));
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern int kill(int pid, int sig);

    private sealed class NoEvents : IDemoEvents
    {
        void IDemoEvents.Progress(string task, int percent) { }
        public Task<bool> ConfirmAsync(string question, CancellationToken ct) => Task.FromResult(false);
    }
}
