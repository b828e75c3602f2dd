using System.Diagnostics;
using Microsoft.Extensions.Logging;
using SidecarKit.Processes;
using SidecarKit.Supervision;
using SidecarKit.Tests.Support;
using SidecarKit.Transports.Grpc;
using SidecarKit.Transports.JsonLines;
using SidecarKit.Transports.MessagePack;
using V1 = SidecarKit.Tests.Evolving.V1;
using V2 = SidecarKit.Tests.Evolving.V2;

namespace SidecarKit.EndToEnd.Tests;

/// <summary>
/// A parent built against one version of a contract with a sidecar serving another (tests/Evolving), on every
/// transport: compatible changes work both ways with what both sides know, a method only the newer side has fails at
/// once and typed, and breaking changes fail at start naming the method (docs/compatibility.md).
/// </summary>
public class CompatibilityTests
{
    private static string SidecarDll
    {
        get
        {
            string config = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
            return Path.Combine(Repository.Root, "tests", "Evolving", "Sidecar", "bin", config, "net10.0", "SidecarKit.Tests.Evolving.Sidecar.dll");
        }
    }

    internal static SidecarProcessOptions Options(string transport, string build, string? events = null, ILoggerFactory? logs = null)
    {
        var options = new SidecarProcessOptions { Name = "inventory", FileName = "dotnet", ReadyTimeout = TimeSpan.FromSeconds(60), LoggerFactory = logs };
        options.Arguments.Add(SidecarDll);
        options.Arguments.Add("--transport");
        options.Arguments.Add(transport);
        options.Environment["EVOLVING_CONTRACT"] = build;
        if (events is not null) options.Environment["EVOLVING_EVENTS"] = events;
        _ = transport switch
        {
            "jsonl" => options.UseJsonLines(),
            "msgpack" => options.UseMessagePack(),
            "grpc" => options.UseGrpc(),
            _ => throw new ArgumentOutOfRangeException(nameof(transport)),
        };
        return options;
    }

    public static TheoryData<string> Transports => new() { "jsonl", "msgpack", "grpc" };

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_v1_parent_calls_a_v2_sidecar_with_what_both_know(string transport)
    {
        var logs = new RecordingLoggerFactory();
        var events = new EventsV1();
        SidecarProcessOptions options = Options(transport, "v2", logs: logs);
        options.Callbacks.AddContract<V1.IInventoryEvents>(events);
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options);
        V1.IInventory inventory = sidecar.GetClient<V1.IInventory>();

        Assert.Equal(new V1.Item(2, "item2", V1.Category.Tools), await inventory.GetAsync(2)); // the colour it sends is skipped
        Assert.Equal(5, (await inventory.FindAsync("saw")).Count);                              // limit left out: its default, 10
        var hammer = new V1.Item(9, "hammer", V1.Category.Tools);
        Assert.Equal(hammer, await inventory.SaveAsync(hammer));                               // the v2 colour it adds is skipped
        await DemoSidecarTests.Eventually(() => events.Changed.Contains(9), "the changed callback");
        var ids = new List<int>();
        await foreach (int id in inventory.IdsAsync()) ids.Add(id);
        Assert.Equal([1, 2, 3], ids);

        // Only the v1 parent has it: refused here, typed, without a round trip.
        var missing = await Assert.ThrowsAsync<SidecarMethodMissingException>(() => inventory.RetiredAsync());
        Assert.Equal("inventory.retired", missing.MethodName);
        Assert.Equal("v2", missing.SidecarVersion);
        Assert.Contains("The sidecar 'inventory' (version v2) does not have the method 'inventory.retired'", missing.Message);

        // An enum value the v1 parent does not know: the call fails naming it, nothing is made up.
        var unknown = await Assert.ThrowsAnyAsync<SidecarException>(() => inventory.GetAsync(3));
        Assert.Contains("Garden", unknown.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(new V1.Item(1, "item1", V1.Category.Tools), await inventory.GetAsync(1)); // and the connection carries on

        // The differences were logged once, when the contract was first asked for.
        string report = Assert.Single(logs.Entries, e => e.Message.Contains("differ compatibly on contract 'inventory'")).Message;
        Assert.Contains("missing on the sidecar: inventory.retired (calls fail at once)", report);
        Assert.Contains("only on the sidecar: inventory.count", report);
        Assert.Contains("Item: this program does not send the member 'color'; the sidecar uses its default", report);
        Assert.True(report.Contains("Category: this program does not know the value garden of the sidecar", StringComparison.OrdinalIgnoreCase), report);
        sidecar.GetClient<V1.IInventory>();
        Assert.Single(logs.Entries, e => e.Message.Contains("differ compatibly on contract 'inventory'"));
        // The callbacks: the v2 sidecar knows a method this parent does not serve.
        Assert.Contains(logs.Entries, e => e.Message.Contains("differ compatibly on contract 'inventoryEvents'") && e.Message.Contains("missing on this program: inventoryEvents.approve (the sidecar's calls of it get 'method not found')"));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_v2_parent_calls_a_v1_sidecar_with_what_both_know(string transport)
    {
        SidecarProcessOptions options = Options(transport, "v1");
        options.Callbacks.AddContract<V2.IInventoryEvents>(new EventsV2());
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options);
        V2.IInventory inventory = sidecar.GetClient<V2.IInventory>();

        Assert.Equal(new V2.Item(1, "item1", V2.Category.Tools), await inventory.GetAsync(1)); // no colour: its default
        Assert.Equal(3, (await inventory.FindAsync("saw", limit: 2)).Count);                   // the v1 sidecar ignores the limit
        Assert.Equal(new V2.Item(5, "rake", V2.Category.Toys), await inventory.SaveAsync(new V2.Item(5, "rake", V2.Category.Toys, "blue")));

        var missing = await Assert.ThrowsAsync<SidecarMethodMissingException>(() => inventory.CountAsync());
        Assert.Equal("inventory.count", missing.MethodName);
        Assert.Equal("v1", missing.SidecarVersion);

        // A value the v1 sidecar does not know: its error names it.
        var unknown = await Assert.ThrowsAnyAsync<SidecarRemoteException>(() => inventory.SaveAsync(new V2.Item(6, "hose", V2.Category.Garden)));
        Assert.Contains("Invalid params for 'inventory.save': 'garden' is not a member of SidecarKit.Tests.Evolving.V1.Category", unknown.Message);

        var ids = new List<int>();
        await foreach (int id in inventory.IdsAsync()) ids.Add(id);
        Assert.Equal([1, 2, 3], ids);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_sidecar_with_breaking_changes_is_refused_naming_each_method(string transport)
    {
        SidecarProcessOptions options = Options(transport, "broken", events: "v1");
        options.Callbacks.AddContract<V1.IInventoryEvents>(new EventsV1());
        var clock = Stopwatch.StartNew();
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options);
        var e = Assert.Throws<SidecarContractException>(() => sidecar.GetClient<V1.IInventory>());
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(30)); // at the handshake, not a call's timeout later
        Assert.Equal("inventory", e.ContractName);
        Assert.StartsWith("The sidecar 'inventory' (version broken) serves contract 'inventory' incompatibly with this program: ", e.Message);
        Assert.Contains("inventory.get: the parameter 'id' changed type: this program writes int32, the sidecar reads string", e.Message);
        Assert.Contains("inventory.find: the sidecar requires the parameter 'limit', which this program does not send", e.Message);
        Assert.Contains("inventory.ids: this program calls it as a stream, the sidecar serves it as a request", e.Message);
        Assert.Contains("Item: the sidecar requires the member 'owner', which this program does not send", e.Message);
        // The name's new field number breaks only the format that finds fields by number.
        Assert.Equal(transport == "grpc", e.Message.Contains("the member 'name' is field 7 for the sidecar but field 2 for this program"));
        Assert.Contains("docs/compatibility.md", e.Message);
    }

    [Fact]
    public async Task A_supervised_incompatible_sidecar_fails_with_the_reason_and_a_compatible_one_runs()
    {
        SidecarProcessOptions broken = Options("jsonl", "broken", events: "v1");
        broken.Callbacks.AddContract<V1.IInventoryEvents>(new EventsV1());
        await using (var supervisor = new SidecarSupervisor(new SidecarSupervisorOptions { Process = broken }))
        {
            supervisor.GetClient<V1.IInventory>();
            await Assert.ThrowsAnyAsync<SidecarException>(() => supervisor.StartAsync());
            Assert.Equal(SidecarState.Failed, supervisor.Status.State);
            Assert.Contains("inventory.get: the parameter 'id' changed type", supervisor.Status.LastError);
            Assert.Equal(0, supervisor.Status.RestartCount);
        }

        SidecarProcessOptions v2 = Options("jsonl", "v2");
        v2.Callbacks.AddContract<V1.IInventoryEvents>(new EventsV1());
        await using (var supervisor = new SidecarSupervisor(new SidecarSupervisorOptions { Process = v2 }))
        {
            V1.IInventory inventory = supervisor.GetClient<V1.IInventory>();
            await supervisor.StartAsync();
            Assert.Equal(SidecarState.Ready, supervisor.Status.State);
            Assert.Equal("item4", (await inventory.GetAsync(4)).Name);
            await Assert.ThrowsAsync<SidecarMethodMissingException>(() => inventory.RetiredAsync());
        }
    }

    [Fact]
    public async Task Exact_refuses_any_difference_and_None_checks_nothing()
    {
        SidecarProcessOptions exact = Options("jsonl", "v2");
        exact.Callbacks.AddContract<V1.IInventoryEvents>(new EventsV1());
        exact.ContractCompatibility = ContractCompatibility.Exact;
        var e = await Assert.ThrowsAsync<SidecarStartException>(() => SidecarProcess.StartAsync(exact)); // the callbacks differ first
        Assert.True(e.Incompatible);
        Assert.Contains("callback contract 'inventoryEvents' with fingerprint", e.Message);
        Assert.Contains("ContractCompatibility is Exact", e.Message);

        SidecarProcessOptions exactContract = Options("jsonl", "v2", events: "none");
        exactContract.ContractCompatibility = ContractCompatibility.Exact;
        await using (SidecarProcess sidecar = await SidecarProcess.StartAsync(exactContract))
        {
            var refused = Assert.Throws<SidecarContractException>(() => sidecar.GetClient<V1.IInventory>());
            Assert.Contains("ContractCompatibility is Exact", refused.Message);
            Assert.Equal(7, await sidecar.GetClient<V2.IInventory>().CountAsync()); // the same build passes
        }

        SidecarProcessOptions none = Options("jsonl", "v1", events: "broken");
        none.ContractCompatibility = ContractCompatibility.None;
        await using (SidecarProcess sidecar = await SidecarProcess.StartAsync(none)) // no callback registered, none checked
        {
            V2.IInventory inventory = sidecar.GetClient<V2.IInventory>();
            var notFound = await Assert.ThrowsAsync<SidecarRemoteException>(() => inventory.CountAsync()); // a round trip: -32601
            Assert.Equal(-32601, notFound.Code);
        }
    }

    [Fact]
    public async Task A_callback_contract_the_parent_does_not_serve_fails_the_start_or_warns_by_option()
    {
        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<SidecarStartException>(() => SidecarProcess.StartAsync(Options("jsonl", "v1")));
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(30));
        Assert.True(e.Incompatible);
        Assert.Equal("The sidecar 'inventory' (version v1) calls the callback contract 'inventoryEvents' on its parent, which this program does not serve: " +
            "register it with Callbacks.AddContract<T>(implementation), T being the contract named 'inventoryEvents' (or set RequireCallbacks to false to start without it).",
            e.Message);

        var logs = new RecordingLoggerFactory();
        SidecarProcessOptions lenient = Options("jsonl", "v1", logs: logs);
        lenient.RequireCallbacks = false;
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(lenient);
        Assert.Contains(logs.Entries, x => x.Level == LogLevel.Warning && x.Message.Contains("callback contract 'inventoryEvents'"));
        Assert.Equal("item1", (await sidecar.GetClient<V1.IInventory>().GetAsync(1)).Name);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_callback_contract_served_incompatibly_fails_the_start_naming_the_method(string transport)
    {
        SidecarProcessOptions options = Options(transport, "v1", events: "broken");
        options.Callbacks.AddContract<V1.IInventoryEvents>(new EventsV1());
        var e = await Assert.ThrowsAsync<SidecarStartException>(() => SidecarProcess.StartAsync(options));
        Assert.True(e.Incompatible);
        Assert.Contains("calls callback contract 'inventoryEvents' incompatibly with what this program serves: " +
            "inventoryEvents.changed: the parameter 'id' changed type: the sidecar writes string, this program reads int32", e.Message);
    }

    [Fact]
    public async Task A_supervisor_whose_sidecar_needs_an_unregistered_callback_fails_without_restarting()
    {
        await using var supervisor = new SidecarSupervisor(new SidecarSupervisorOptions { Process = Options("jsonl", "v1") });
        await Assert.ThrowsAnyAsync<SidecarException>(() => supervisor.StartAsync());
        Assert.Equal(SidecarState.Failed, supervisor.Status.State);
        Assert.Contains("callback contract 'inventoryEvents'", supervisor.Status.LastError);
        Assert.Equal(0, supervisor.Status.RestartCount);
    }

    [Fact]
    public async Task Describe_lists_the_callback_contracts()
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, Environment = { ["EVOLVING_CONTRACT"] = "v2" } };
        psi.ArgumentList.Add(SidecarDll);
        psi.ArgumentList.Add("--describe");
        using Process process = Process.Start(psi)!;
        string json = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        System.Text.Json.JsonElement callbacks = doc.RootElement.GetProperty("callbacks");
        Assert.Equal("inventoryEvents", Assert.Single(callbacks.EnumerateArray()).GetProperty("contract").GetString());
        Assert.Contains("inventoryEvents.approve", json);
        Assert.Equal("inventory", Assert.Single(doc.RootElement.GetProperty("contracts").EnumerateArray()).GetProperty("contract").GetString());
    }

    [Fact]
    public async Task A_sidecar_of_another_protocol_version_is_refused_naming_both()
    {
        // A few lines of Python announcing a SidecarKit protocol 2.0, then waiting for stdin to end.
        const string future = """
            import json, os, sys
            ready = {"version": "9", "protocolVersion": "2.0", "pid": os.getpid(), "transport": "jsonl", "contracts": [{"name": "inventory"}]}
            print("__SIDECAR_READY__:" + json.dumps(ready), file=sys.stderr, flush=True)
            sys.stdin.read()
            """;
        var options = new SidecarProcessOptions { Name = "future", FileName = "/usr/bin/python3", ShutdownTimeout = TimeSpan.FromSeconds(1) }.UseJsonLines();
        options.Arguments.Add("-c");
        options.Arguments.Add(future);
        var e = await Assert.ThrowsAsync<SidecarStartException>(() => SidecarProcess.StartAsync(options)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(e.Incompatible);
        Assert.Contains("speaks SidecarKit protocol 2.0, but this program speaks 1.0", e.Message);
    }

    [Fact]
    public async Task A_sidecar_refuses_a_parent_of_another_protocol_version_naming_both()
    {
        SidecarProcessOptions options = Options("jsonl", "v1");
        options.Environment[SidecarProcess.ProtocolVersionVariable] = "2.1";
        var e = await Assert.ThrowsAsync<SidecarStartException>(() => SidecarProcess.StartAsync(options));
        Assert.Equal(1, e.ExitCode);
        Assert.Contains("This sidecar speaks SidecarKit protocol 1.0, but its parent speaks 2.1", string.Join("\n", e.StderrTail));
    }

    private sealed class EventsV1 : V1.IInventoryEvents
    {
        public readonly System.Collections.Concurrent.ConcurrentBag<int> Changed = [];

        void V1.IInventoryEvents.Changed(int id) => Changed.Add(id);
    }

    private sealed class EventsV2 : V2.IInventoryEvents
    {
        public void Changed(int id) { }

        public Task<bool> ApproveAsync(int id, CancellationToken ct = default) => Task.FromResult(true);
    }
}
