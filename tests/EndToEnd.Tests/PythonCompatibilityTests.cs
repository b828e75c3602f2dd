using System.Collections.Concurrent;
using SidecarKit.Processes;
using SidecarKit.Samples.Demo;
using SidecarKit.Transports.JsonLines;
using Broken = SidecarKit.Tests.Evolving.Broken;
using V1 = SidecarKit.Tests.Evolving.V1;
using V2 = SidecarKit.Tests.Evolving.V2;

namespace SidecarKit.EndToEnd.Tests;

/// <summary>
/// A C# parent built against one version of the <c>inventory</c> contract (tests/Evolving) with a Python sidecar
/// (tests/Polyglot/python/inventory_sidecar.py) serving another, which announces its shapes by hand (no fingerprint) or
/// its method names alone; and the Python demo sidecar's hand-written announcement against the C# demo contract.
/// </summary>
public class PythonCompatibilityTests
{
    private const string Python = "/usr/bin/python3";

    private static string Script(params string[] path) => Path.Combine([DemoSidecar.RepoRoot, .. path]);

    /// <summary>The Python inventory sidecar serving <paramref name="build"/>; its callback contract is the same build unless <paramref name="events"/> says otherwise.</summary>
    private static SidecarProcessOptions Inventory(string build, string? events = null, bool namesOnly = false)
    {
        if (!File.Exists(Python))
            throw new InvalidOperationException($"{Python} is missing: install Debian's python3 (scripts/test.sh does) to run the polyglot tests.");
        var options = new SidecarProcessOptions
        {
            Name = $"python-inventory-{build}",
            FileName = Python,
            ReadyTimeout = TimeSpan.FromSeconds(20),
            ShutdownTimeout = TimeSpan.FromSeconds(2),
        }.UseJsonLines();
        options.Arguments.Add(Script("tests", "Polyglot", "python", "inventory_sidecar.py"));
        options.Environment["EVOLVING_CONTRACT"] = build;
        if (events is not null) options.Environment["EVOLVING_EVENTS"] = events;
        if (namesOnly) options.Environment["INVENTORY_ANNOUNCE"] = "names";
        return options;
    }

    private static ContractDescriptor Descriptor<T>() where T : class, ISidecarContract<T> => T.Descriptor;

    private sealed class EventsV1 : V1.IInventoryEvents
    {
        public readonly ConcurrentQueue<int> Saved = new();

        public void Changed(int id) => Saved.Enqueue(id);
    }

    private sealed class EventsV2(bool approve) : V2.IInventoryEvents
    {
        public readonly ConcurrentQueue<int> Saved = new();
        public readonly ConcurrentQueue<int> Asked = new();

        public void Changed(int id) => Saved.Enqueue(id);

        public Task<bool> ApproveAsync(int id, CancellationToken ct = default)
        {
            Asked.Enqueue(id);
            return Task.FromResult(approve);
        }
    }

    private static async Task<List<int>> All(IAsyncEnumerable<int> items)
    {
        var list = new List<int>();
        await foreach (int i in items) list.Add(i);
        return list;
    }

    private static async Task Eventually(Func<bool> condition, string what)
    {
        for (var waited = System.Diagnostics.Stopwatch.StartNew(); !condition(); await Task.Delay(20))
            if (waited.Elapsed > TimeSpan.FromSeconds(10)) Assert.Fail($"Timed out waiting for {what}.");
    }

    [Fact]
    public async Task A_version_1_parent_calls_a_python_version_2_sidecar_and_retired_fails_at_once_typed()
    {
        var events = new EventsV1();
        SidecarProcessOptions options = Inventory("v2");
        options.Callbacks.AddContract<V1.IInventoryEvents>(events);
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options);
        Assert.Null(sidecar.ReadyInfo.Contracts!.Single().Fingerprint); // announced by hand: the shapes, no fingerprint
        Assert.NotNull(sidecar.ReadyInfo.Contracts!.Single().Methods![0].Kind);
        V1.IInventory inventory = sidecar.GetClient<V1.IInventory>();

        Assert.Equal(new V1.Item(2, "item2", V1.Category.Tools), await inventory.GetAsync(2)); // color skipped
        IReadOnlyList<V1.Item> found = await inventory.FindAsync("saw");
        Assert.Equal(5, found.Count); // no limit sent: the sidecar's default (10), capped at 5
        Assert.All(found, i => Assert.Equal(new V1.Item(i.Id, "saw", V1.Category.Toys), i));
        // The sidecar tells the parent (changed), asks approve, which version 1 does not serve (-32601), and saves anyway.
        Assert.Equal(new V1.Item(7, "hammer", V1.Category.Tools), await inventory.SaveAsync(new V1.Item(7, "hammer", V1.Category.Tools)));
        await Eventually(() => events.Saved.Contains(7), "inventoryEvents.changed(7)");
        Assert.Equal([1, 2, 3], await All(inventory.IdsAsync()));

        // Item 3 is in a category version 1 does not know: an error naming the value, not a wrong item.
        var unknown = await Assert.ThrowsAnyAsync<SidecarException>(() => inventory.GetAsync(3));
        Assert.Contains("garden", unknown.Message);

        var e = await Assert.ThrowsAsync<SidecarMethodMissingException>(() => inventory.RetiredAsync());
        Assert.Equal("inventory.retired", e.MethodName);
        Assert.Equal("v2", e.SidecarVersion);
        Assert.Equal(7, (await inventory.GetAsync(7)).Id); // the connection is fine after it
    }

    [Fact]
    public async Task A_version_2_parent_calls_a_python_version_1_sidecar_and_count_fails_at_once_typed()
    {
        var events = new EventsV2(approve: true);
        SidecarProcessOptions options = Inventory("v1");
        options.Callbacks.AddContract<V2.IInventoryEvents>(events);
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options);
        V2.IInventory inventory = sidecar.GetClient<V2.IInventory>();

        var e = await Assert.ThrowsAsync<SidecarMethodMissingException>(() => inventory.CountAsync());
        Assert.Equal("inventory.count", e.MethodName);
        Assert.Equal("v1", e.SidecarVersion);

        // Version 1 knows no limit and skips it: always three items.
        IReadOnlyList<V2.Item> found = await inventory.FindAsync("saw", limit: 2);
        Assert.Equal(3, found.Count);
        Assert.All(found, i => Assert.Equal(new V2.Item(i.Id, "saw", V2.Category.Toys), i));
        Assert.Equal(new V2.Item(1, "item1", V2.Category.Tools), await inventory.GetAsync(1)); // no color: null
        Assert.Equal(new V2.Item(4, "rake", V2.Category.Tools), await inventory.SaveAsync(new V2.Item(4, "rake", V2.Category.Tools, "green")));
        await Eventually(() => events.Saved.Contains(4), "inventoryEvents.changed(4)");
        Assert.Empty(events.Asked); // version 1 never asks
        Assert.Equal([1, 2, 3], await All(inventory.IdsAsync()));
    }

    [Fact]
    public async Task A_version_2_parent_and_a_python_version_2_sidecar_use_limit_and_approve()
    {
        var events = new EventsV2(approve: false);
        SidecarProcessOptions options = Inventory("v2");
        options.Callbacks.AddContract<V2.IInventoryEvents>(events);
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options);
        V2.IInventory inventory = sidecar.GetClient<V2.IInventory>();

        Assert.Equal(7, await inventory.CountAsync());
        Assert.Equal(2, (await inventory.FindAsync("saw", limit: 2)).Count);
        Assert.Equal(new V2.Item(3, "item3", V2.Category.Garden, "red"), await inventory.GetAsync(3));
        await Assert.ThrowsAsync<SidecarRemoteException>(() => inventory.SaveAsync(new V2.Item(5, "hoe", V2.Category.Garden))); // not approved
        Assert.Equal([5], events.Asked);
    }

    [Fact]
    public async Task A_version_1_parent_refuses_a_python_broken_sidecar_naming_the_methods()
    {
        // The callbacks of version 1, so that the start succeeds and GetClient decides.
        var options = Inventory("broken", events: "v1");
        options.Callbacks.AddContract<V1.IInventoryEvents>(new EventsV1());
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options);

        var e = Assert.Throws<SidecarContractException>(() => sidecar.GetClient<V1.IInventory>());
        Assert.Equal("inventory", e.ContractName);
        Assert.Equal(["inventory"], e.ServedContracts); // no fingerprint announced
        Assert.Contains("incompatibly", e.Message);
        Assert.Contains("inventory.get: the parameter 'id' changed type: this program writes int32, the sidecar reads string", e.Message);
        Assert.Contains("inventory.find: the sidecar requires the parameter 'limit', which this program does not send", e.Message);
        Assert.Contains("inventory.ids: this program calls it as a stream, the sidecar serves it as a request", e.Message);
        Assert.Contains("the sidecar requires the member 'owner'", e.Message);
        Assert.DoesNotContain("'name'", e.Message); // moved to field 7, but JSON finds members by name
        // Refused again, the same way, and no call went out: the broken build's own client is accepted.
        Assert.Throws<SidecarContractException>(() => sidecar.GetClient<V1.IInventory>());
        Broken.IInventory broken = sidecar.GetClient<Broken.IInventory>();
        Assert.Equal(3, await broken.IdsAsync());
    }

    [Fact]
    public async Task A_python_sidecar_that_calls_broken_callbacks_fails_the_start()
    {
        var options = Inventory("v1", events: "broken");
        options.Callbacks.AddContract<V1.IInventoryEvents>(new EventsV1());
        var e = await Assert.ThrowsAsync<SidecarStartException>(() => SidecarProcess.StartAsync(options));
        Assert.True(e.Incompatible);
        Assert.Contains("inventoryEvents", e.Message);
        Assert.Contains("inventoryEvents.changed", e.Message);
    }

    [Fact]
    public async Task A_python_sidecar_whose_callbacks_are_not_registered_fails_the_start_unless_they_are_not_required()
    {
        var e = await Assert.ThrowsAsync<SidecarStartException>(() => SidecarProcess.StartAsync(Inventory("v1")));
        Assert.True(e.Incompatible);
        Assert.Contains("'inventoryEvents'", e.Message);

        SidecarProcessOptions lenient = Inventory("v1");
        lenient.RequireCallbacks = false;
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(lenient);
        Assert.Equal(new V1.Item(1, "item1", V1.Category.Tools), await sidecar.GetClient<V1.IInventory>().GetAsync(1));
    }

    [Fact]
    public async Task Names_alone_a_version_2_parent_starts_with_a_python_version_1_sidecar_and_count_fails_at_once_typed()
    {
        var events = new EventsV2(approve: true);
        SidecarProcessOptions options = Inventory("v1", namesOnly: true);
        options.Callbacks.AddContract<V2.IInventoryEvents>(events);
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options);
        SidecarContractInfo announced = sidecar.ReadyInfo.Contracts!.Single();
        Assert.Equal(["inventory.get", "inventory.find", "inventory.save", "inventory.ids", "inventory.retired"], announced.Methods!.Select(m => m.Name));
        Assert.All(announced.Methods!, m => Assert.Null(m.Kind)); // names alone
        Assert.Equal(["inventoryEvents.changed"], sidecar.ReadyInfo.Callbacks!.Single().Methods!.Select(m => m.Name));

        V2.IInventory inventory = sidecar.GetClient<V2.IInventory>();
        var e = await Assert.ThrowsAsync<SidecarMethodMissingException>(() => inventory.CountAsync());
        Assert.Equal("inventory.count", e.MethodName);
        Assert.Equal(3, (await inventory.FindAsync("saw", limit: 1)).Count);
        Assert.Equal([1, 2, 3], await All(inventory.IdsAsync()));
    }

    [Fact]
    public async Task Names_alone_cannot_catch_a_breaking_change_the_sidecar_refuses_the_call_instead()
    {
        // What presence alone cannot see: the broken build's get takes a string. The start and GetClient succeed; the
        // Python sidecar refuses the int with -32602.
        var options = Inventory("broken", events: "v1", namesOnly: true);
        options.Callbacks.AddContract<V1.IInventoryEvents>(new EventsV1());
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options);
        V1.IInventory inventory = sidecar.GetClient<V1.IInventory>();
        var e = await Assert.ThrowsAsync<SidecarRemoteException>(() => inventory.GetAsync(1));
        Assert.Equal(-32602, e.Code);
    }

    [Fact]
    public async Task The_python_demo_sidecar_announces_exactly_the_shapes_of_the_csharp_demo_contract()
    {
        var options = new SidecarProcessOptions { Name = "python-demo", FileName = Python, ReadyTimeout = TimeSpan.FromSeconds(20) }.UseJsonLines();
        options.Arguments.Add(Script("samples", "Polyglot", "python", "demo_sidecar.py"));
        options.Callbacks.AddContract<IDemoEvents>(new RecordingEvents(confirm: true));
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options);

        SidecarContractInfo python = sidecar.ReadyInfo.Contracts!.Single();
        // The library computes the fingerprint from the Python declaration the C# generator's way; the shapes are
        // compared as well, since equal fingerprints would let the handshake skip them.
        Assert.Equal(Descriptor<IDemo>().Fingerprint, python.Fingerprint);
        SidecarContractInfo csharp = SidecarContractInfo.From(Descriptor<IDemo>());
        Assert.Equal(Json(csharp), Json(Numbered(python))); // the Python side leaves the numbers out: its fields' positions
        Assert.Equal(Descriptor<IDemoEvents>().Schema.Methods.Select(m => m.WireName), sidecar.ReadyInfo.Callbacks!.Single().Methods!.Select(m => m.Name));
        Assert.Equal(5, await sidecar.GetClient<IDemo>().AddAsync(2, 3));

        static string Json(SidecarContractInfo c) => new SidecarReadyInfo("", "", 0, null, null, null, [c]).ToJson();
        static IReadOnlyList<SidecarFieldInfo> Number(IReadOnlyList<SidecarFieldInfo>? fields)
            => [.. (fields ?? []).Select((f, i) => f.Number == 0 ? f with { Number = i + 1 } : f)];
        static SidecarContractInfo Numbered(SidecarContractInfo c) => c with
        {
            Methods = [.. c.Methods!.Select(m => m with { Params = Number(m.Params) })],
            Types = [.. c.Types!.Select(t => t.Members is null ? t : t with { Members = Number(t.Members) })],
        };
    }

    // lifecycle.ready is read with the typed codec of the announcement: fields may leave out their number (the position
    // is taken), methods named alone are objects with a name only.
    [Fact]
    public async Task The_python_demo_sidecar_starts_on_lifecycle_ready_alone()
    {
        // --quiet-ready: no marker on stderr, so the parent reads the announcement from lifecycle.ready, whose
        // callbacks name their methods alone and whose fields have no number.
        var options = new SidecarProcessOptions { Name = "python-demo-quiet", FileName = Python, ReadyTimeout = TimeSpan.FromSeconds(10) }.UseJsonLines();
        options.Arguments.Add(Script("samples", "Polyglot", "python", "demo_sidecar.py"));
        options.Arguments.Add("--quiet-ready");
        options.Callbacks.AddContract<IDemoEvents>(new RecordingEvents(confirm: true));
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options);

        Assert.Equal(["demoEvents.progress", "demoEvents.confirm"], sidecar.ReadyInfo.Callbacks!.Single().Methods!.Select(m => m.Name));
        SidecarContractInfo python = sidecar.ReadyInfo.Contracts!.Single();
        Assert.Equal([0, 0], python.Methods!.Single(m => m.Name == "demo.add").Params!.Select(p => p.Number)); // not announced
        Assert.Equal([1, 2], SidecarKit.Lifecycle.ContractShapes.ToSchema(python)!.Methods.Single(m => m.WireName == "demo.add").Parameters.Select(p => p.Number));
        IDemo demo = sidecar.GetClient<IDemo>();
        Assert.Equal(5, await demo.AddAsync(2, 3));
        Assert.Equal(2, await demo.WorkAsync(2));
    }
}
