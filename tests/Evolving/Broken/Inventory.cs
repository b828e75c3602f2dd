using SidecarKit;

namespace SidecarKit.Tests.Evolving.Broken;

/// <summary>The inventory contract with breaking changes (see ../README.md).</summary>
[SidecarContract("inventory")]
public partial interface IInventory
{
    /// <summary>Retyped: the id is a string.</summary>
    Task<Item> GetAsync(string id, CancellationToken ct = default);

    /// <summary>The limit is required.</summary>
    Task<IReadOnlyList<Item>> FindAsync(string name, int limit, CancellationToken ct = default);

    /// <summary>Stores the item and returns it.</summary>
    Task<Item> SaveAsync(Item item, CancellationToken ct = default);

    /// <summary>No longer a stream.</summary>
    Task<int> IdsAsync(CancellationToken ct = default);

    /// <summary>As in version 1.</summary>
    Task<int> RetiredAsync(CancellationToken ct = default);
}

/// <summary>The callbacks with a retyped parameter.</summary>
[SidecarContract("inventoryEvents")]
public partial interface IInventoryEvents
{
    /// <summary>An item was saved: the id is a string.</summary>
    void Changed(string id);
}

/// <summary>A category.</summary>
public enum Category { Tools, Toys }

/// <summary>An item whose name moved to field 7 and with a required owner.</summary>
public sealed record Item(int Id, [property: SidecarField(7)] string Name, Category Category, string Owner);
