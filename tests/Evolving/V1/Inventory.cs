using SidecarKit;

namespace SidecarKit.Tests.Evolving.V1;

/// <summary>Version 1 of the inventory contract.</summary>
[SidecarContract("inventory")]
public partial interface IInventory
{
    /// <summary>The item with this id.</summary>
    Task<Item> GetAsync(int id, CancellationToken ct = default);

    /// <summary>Items called <paramref name="name"/> (three).</summary>
    Task<IReadOnlyList<Item>> FindAsync(string name, CancellationToken ct = default);

    /// <summary>Stores the item and returns it as the sidecar understood it; tells the parent (<c>changed</c>).</summary>
    Task<Item> SaveAsync(Item item, CancellationToken ct = default);

    /// <summary>1, 2, 3.</summary>
    IAsyncEnumerable<int> IdsAsync(CancellationToken ct = default);

    /// <summary>Only in version 1: 42.</summary>
    Task<int> RetiredAsync(CancellationToken ct = default);
}

/// <summary>Version 1 of the callbacks.</summary>
[SidecarContract("inventoryEvents")]
public partial interface IInventoryEvents
{
    /// <summary>An item was saved.</summary>
    void Changed(int id);
}

/// <summary>A category.</summary>
public enum Category { Tools, Toys }

/// <summary>An item.</summary>
public sealed record Item(int Id, string Name, Category Category);
