using System.Text.Json.Serialization;
using SidecarKit;

namespace SidecarKit.Tests.Evolving.V2;

/// <summary>Version 2 of the inventory contract: compatible changes only (see ../README.md).</summary>
[SidecarContract("inventory")]
public partial interface IInventory
{
    /// <summary>The item with this id.</summary>
    Task<Item> GetAsync(int id, CancellationToken ct = default);

    /// <summary>At most <paramref name="limit"/> items called <paramref name="name"/>.</summary>
    Task<IReadOnlyList<Item>> FindAsync(string name, int limit = 10, CancellationToken ct = default);

    /// <summary>Stores the item and returns it as the sidecar understood it; tells the parent (<c>changed</c>).</summary>
    Task<Item> SaveAsync(Item item, CancellationToken ct = default);

    /// <summary>1, 2, 3.</summary>
    IAsyncEnumerable<int> IdsAsync(CancellationToken ct = default);

    /// <summary>New in version 2: 7.</summary>
    Task<int> CountAsync(CancellationToken ct = default);
}

/// <summary>Version 2 of the callbacks: one more method.</summary>
[SidecarContract("inventoryEvents")]
public partial interface IInventoryEvents
{
    /// <summary>An item was saved.</summary>
    void Changed(int id);

    /// <summary>New in version 2: may the item be saved?</summary>
    Task<bool> ApproveAsync(int id, CancellationToken ct = default);
}

/// <summary>A category, with a value version 1 does not know.</summary>
public enum Category { Tools, Toys, Garden }

/// <summary>An item: the name renamed in C# only, and an optional colour.</summary>
public sealed record Item(int Id, [property: JsonPropertyName("name")] string Label, Category Category, string? Color = null);
