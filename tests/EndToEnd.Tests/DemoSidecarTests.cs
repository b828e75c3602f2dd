using System.Diagnostics;
using SidecarKit.Processes;
using SidecarKit.Rpc;
using SidecarKit.Samples.Demo;

namespace SidecarKit.EndToEnd.Tests;

/// <summary>Every demo method against the real demo sidecar process, over its stdio.</summary>
public class DemoSidecarTests : IAsyncLifetime
{
    private readonly RecordingEvents _events = new(confirm: true);
    private SidecarProcess _sidecar = null!;
    private IDemo _demo = null!;

    public async Task InitializeAsync()
    {
        _sidecar = await DemoSidecar.StartAsync(_events);
        _demo = _sidecar.GetClient<IDemo>();
    }

    public async Task DisposeAsync() => await _sidecar.DisposeAsync();

    [Fact]
    public async Task Ready_payload_describes_this_very_process()
    {
        SidecarReadyInfo ready = _sidecar.ReadyInfo;
        Assert.Equal(_sidecar.ProcessId, ready.Pid);
        Assert.Equal("1.0", ready.ProtocolVersion);
        Assert.Equal("jsonl", ready.Transport);
        Assert.Equal(32, ready.InstanceId!.Length);
        SidecarContractInfo contract = Assert.Single(ready.Contracts!);
        Assert.Equal("demo", contract.Name);
        Assert.Equal(Descriptor<IDemo>().Fingerprint, contract.Fingerprint);
        await Task.CompletedTask;
    }

    private static ContractDescriptor Descriptor<T>() where T : class, ISidecarContract<T> => T.Descriptor;

    [Fact]
    public async Task Add() => Assert.Equal(5, await _demo.AddAsync(2, 3));

    [Fact]
    public async Task Add_overflow_is_an_error_not_a_wrap()
    {
        var e = await Assert.ThrowsAsync<SidecarRemoteException>(() => _demo.AddAsync(int.MaxValue, 1));
        Assert.Equal(RpcErrorCodes.InvalidParams, e.Code);
    }

    [Fact]
    public async Task Echo_returns_the_person_unchanged()
    {
        var person = new Person("Ada", 36, ["math", "poetry"], new Address("St James's Square", "London"), new DateTimeOffset(1815, 12, 10, 8, 0, 0, TimeSpan.FromHours(1)));
        Person back = await _demo.EchoAsync(person);
        Assert.Equal(person with { Tags = back.Tags }, back);
        Assert.Equal(person.Tags, back.Tags);
        Assert.Equal(person.Born!.Value.Offset, back.Born!.Value.Offset);
        Person minimal = await _demo.EchoAsync(new Person("B", 0, [], null, null));
        Assert.Null(minimal.Address);
        Assert.Null(minimal.Born);
    }

    [Fact]
    public async Task Divide_and_division_by_zero()
    {
        Assert.Equal(2.5, await _demo.DivideAsync(5, 2));
        var e = await Assert.ThrowsAsync<SidecarRemoteException>(() => _demo.DivideAsync(1, 0));
        Assert.Equal(DemoErrors.DivisionByZero, e.Code);
        Assert.Equal("division by zero", e.Message);
    }

    [Fact]
    public async Task Count_streams_one_to_n_and_nothing_for_zero()
    {
        var items = new List<int>();
        await foreach (int i in _demo.CountAsync(500)) items.Add(i);
        Assert.Equal(Enumerable.Range(1, 500), items);
        await foreach (int _ in _demo.CountAsync(0)) Assert.Fail("no items for 0");
        await foreach (int _ in _demo.CountAsync(-5)) Assert.Fail("no items for a negative count");
    }

    [Fact]
    public async Task Sleep_and_blob()
    {
        Assert.Equal("slept", await _demo.SleepAsync(10));
        byte[] blob = await _demo.BlobAsync(100_000);
        Assert.Equal(100_000, blob.Length);
        for (int i = 0; i < blob.Length; i++) Assert.Equal((byte)(i % 256), blob[i]);
    }

    [Fact]
    public async Task Log_is_one_way_and_lands_in_the_sidecar_log()
    {
        string marker = "log-" + Guid.NewGuid().ToString("N");
        _demo.Log(marker);
        await Eventually(() => _sidecar.StderrTail.Any(l => l.Contains(marker)), "the log line on stderr");
    }

    [Fact]
    public async Task Work_reports_progress_and_asks_the_parent()
    {
        Assert.Equal(4, await _demo.WorkAsync(4));
        lock (_events.Progress) Assert.Equal([("work", 0), ("work", 25), ("work", 50), ("work", 75)], _events.Progress);
        lock (_events.Questions) Assert.Equal(["commit?"], _events.Questions);
    }

    [Fact]
    public async Task A_thousand_concurrent_calls()
    {
        int[] results = await Task.WhenAll(Enumerable.Range(0, 1000).Select(i => _demo.AddAsync(i, i)));
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => 2 * i), results);
    }

    [Fact]
    public async Task Cancelling_sleep_ends_the_call_promptly_on_both_sides()
    {
        using var cts = new CancellationTokenSource();
        Task<string> call = _demo.SleepAsync(60_000, cts.Token);
        await Eventually(async () => (await _sidecar.PingAsync()).ActiveRequests == 1, "the sleep to be running in the sidecar");
        var clock = Stopwatch.StartNew();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the call did not end on cancellation");
        await Eventually(async () => (await _sidecar.PingAsync()).ActiveRequests == 0, "the sidecar to stop sleeping");
    }

    [Fact]
    public async Task A_stream_read_slowly_does_not_grow_the_sidecars_memory()
    {
        long before = ResidentBytes(_sidecar.ProcessId);
        await using IAsyncEnumerator<int> e = _demo.CountAsync(int.MaxValue).GetAsyncEnumerator();
        for (int i = 0; i < 20; i++)
        {
            Assert.True(await e.MoveNextAsync());
            await Task.Delay(50);
        }
        long after = ResidentBytes(_sidecar.ProcessId);
        // Without flow control the producer would have written millions of items in a second.
        Assert.True(after - before < 32L * 1024 * 1024, $"sidecar RSS grew by {(after - before) / 1024} KiB");
        Assert.Equal(20, e.Current);
    }

    [Fact]
    public async Task Ping_reports_health()
    {
        SidecarHealth health = await _sidecar.PingAsync();
        Assert.Equal("ok", health.Status);
        Assert.Equal(_sidecar.ProcessId, health.Pid);
        Assert.Equal(_sidecar.ReadyInfo.InstanceId, health.InstanceId);
    }

    [Fact]
    public async Task Graceful_stop_drains_and_exits_zero()
    {
        Task<string> running = _demo.SleepAsync(2000);
        await Eventually(async () => (await _sidecar.PingAsync()).ActiveRequests == 1, "the sleep to be running");
        Task<int> stop = _sidecar.StopAsync();
        Assert.Equal("slept", await running); // system.shutdown let it finish
        Assert.Equal(0, await stop);
    }

    internal static long ResidentBytes(int pid)
    {
        string line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }

    internal static async Task Eventually(Func<bool> condition, string what) => await Eventually(() => Task.FromResult(condition()), what);

    internal static async Task Eventually(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail("Timed out waiting for: " + what);
            await Task.Delay(20);
        }
    }
}
