using System.Runtime.CompilerServices;
using SidecarKit.Hosting;
using SidecarKit.Transports.Grpc;
using SidecarKit.Transports.JsonLines;
using SidecarKit.Transports.MessagePack;
using SidecarKit.Tests.Evolving.Sidecar;

// Serves the inventory contract of the build EVOLVING_CONTRACT names and declares the callback contract of the build
// EVOLVING_EVENTS names (see ../README.md). The version announced is the contract's, so messages name it.
string contract = Environment.GetEnvironmentVariable("EVOLVING_CONTRACT") ?? "v1";
string events = Environment.GetEnvironmentVariable("EVOLVING_EVENTS") ?? contract;
SidecarHostBuilder builder = SidecarHost.CreateBuilder(args).AddJsonLines().AddMessagePack().AddGrpc();
builder.Options.Version = contract;
switch (contract)
{
    case "v1": builder.AddContract<SidecarKit.Tests.Evolving.V1.IInventory>(channel => new InventoryV1(channel)); break;
    case "v2": builder.AddContract<SidecarKit.Tests.Evolving.V2.IInventory>(channel => new InventoryV2(channel)); break;
    case "broken": builder.AddContract<SidecarKit.Tests.Evolving.Broken.IInventory>(_ => new InventoryBroken()); break;
    default: Console.Error.WriteLine($"EVOLVING_CONTRACT: unknown build '{contract}'"); return 2;
}
switch (events)
{
    case "v1": builder.AddCallbackContract<SidecarKit.Tests.Evolving.V1.IInventoryEvents>(); break;
    case "v2": builder.AddCallbackContract<SidecarKit.Tests.Evolving.V2.IInventoryEvents>(); break;
    case "broken": builder.AddCallbackContract<SidecarKit.Tests.Evolving.Broken.IInventoryEvents>(); break;
    case "none": break;
    default: Console.Error.WriteLine($"EVOLVING_EVENTS: unknown build '{events}'"); return 2;
}
return await builder.Build().RunAsync();

namespace SidecarKit.Tests.Evolving.Sidecar
{
    using SidecarKit.Rpc;
    using V1 = SidecarKit.Tests.Evolving.V1;
    using V2 = SidecarKit.Tests.Evolving.V2;
    using Broken = SidecarKit.Tests.Evolving.Broken;

    internal static class Ids
    {
        public static async IAsyncEnumerable<int> OneTwoThree([EnumeratorCancellation] CancellationToken ct)
        {
            for (int i = 1; i <= 3; i++)
            {
                await Task.Yield();
                ct.ThrowIfCancellationRequested();
                yield return i;
            }
        }
    }

    internal sealed class InventoryV1(RpcChannel parent) : V1.IInventory
    {
        public Task<V1.Item> GetAsync(int id, CancellationToken ct = default) => Task.FromResult(new V1.Item(id, "item" + id, V1.Category.Tools));

        public Task<IReadOnlyList<V1.Item>> FindAsync(string name, CancellationToken ct = default)
            => Task.FromResult<IReadOnlyList<V1.Item>>([.. Enumerable.Range(1, 3).Select(i => new V1.Item(i, name, V1.Category.Toys))]);

        public Task<V1.Item> SaveAsync(V1.Item item, CancellationToken ct = default)
        {
            parent.GetClient<V1.IInventoryEvents>().Changed(item.Id);
            return Task.FromResult(item);
        }

        public IAsyncEnumerable<int> IdsAsync(CancellationToken ct = default) => Ids.OneTwoThree(ct);

        public Task<int> RetiredAsync(CancellationToken ct = default) => Task.FromResult(42);
    }

    internal sealed class InventoryV2(RpcChannel parent) : V2.IInventory
    {
        // Item 3 is in the category version 1 does not know.
        public Task<V2.Item> GetAsync(int id, CancellationToken ct = default)
            => Task.FromResult(new V2.Item(id, "item" + id, id == 3 ? V2.Category.Garden : V2.Category.Tools, "red"));

        public Task<IReadOnlyList<V2.Item>> FindAsync(string name, int limit = 10, CancellationToken ct = default)
            => Task.FromResult<IReadOnlyList<V2.Item>>([.. Enumerable.Range(1, Math.Min(limit, 5)).Select(i => new V2.Item(i, name, V2.Category.Toys))]);

        public async Task<V2.Item> SaveAsync(V2.Item item, CancellationToken ct = default)
        {
            V2.IInventoryEvents events = parent.GetClient<V2.IInventoryEvents>();
            events.Changed(item.Id);
            // A version 1 parent has no approve: the call gets 'method not found', and the item is saved anyway.
            bool approved;
            try { approved = await events.ApproveAsync(item.Id, ct); }
            catch (SidecarException) { approved = true; }
            return approved ? item with { Color = item.Color ?? "unpainted" } : throw new InvalidOperationException("not approved");
        }

        public IAsyncEnumerable<int> IdsAsync(CancellationToken ct = default) => Ids.OneTwoThree(ct);

        public Task<int> CountAsync(CancellationToken ct = default) => Task.FromResult(7);
    }

    internal sealed class InventoryBroken : Broken.IInventory
    {
        public Task<Broken.Item> GetAsync(string id, CancellationToken ct = default) => Task.FromResult(new Broken.Item(1, id, Broken.Category.Tools, "me"));

        public Task<IReadOnlyList<Broken.Item>> FindAsync(string name, int limit, CancellationToken ct = default)
            => Task.FromResult<IReadOnlyList<Broken.Item>>([]);

        public Task<Broken.Item> SaveAsync(Broken.Item item, CancellationToken ct = default) => Task.FromResult(item);

        public Task<int> IdsAsync(CancellationToken ct = default) => Task.FromResult(3);

        public Task<int> RetiredAsync(CancellationToken ct = default) => Task.FromResult(42);
    }
}
