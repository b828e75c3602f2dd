using System.IO;
using SidecarKit;

namespace Golden.Sample;

/// <summary>A representative contract: every method shape, defaults, an override, DTOs, enums, collections.</summary>
[SidecarContract("inventory")]
public partial interface IInventory
{
    Task<Item?> FindAsync(Guid id, CancellationToken ct = default);
    Task<IReadOnlyList<Item>> SearchAsync(string text, int limit = 20, Category? category = null, CancellationToken cancellationToken = default);
    ValueTask<Dictionary<string, int>> CountsAsync(CancellationToken ct = default);
    Task DeleteAsync(Guid id);
    ValueTask TouchAsync(Guid id, TimeSpan ttl);
    IAsyncEnumerable<Item> WatchAsync(Category category, CancellationToken ct = default);
    [SidecarMethod("restock", TimeoutMilliseconds = 5000, Idempotent = true)]
    Task<long> RestockAsync(Guid id, uint quantity, DateTimeOffset? at = null, CancellationToken ct = default);
    void Audit(string message, byte[]? attachment);
    Task<int> ImportAsync(IAsyncEnumerable<Item> items, bool replace = false, CancellationToken ct = default);
    IAsyncEnumerable<Item> SyncAsync(string source, IAsyncEnumerable<Guid> ids, CancellationToken ct = default);
    Task<long> UploadAsync(string name, Stream data, CancellationToken ct = default);
    ValueTask<Stream> ExportAsync(Category category, CancellationToken ct = default);
}

public enum Category { Tools, Garden, HomeAndKitchen }

public sealed record Item(Guid Id, string Name, Category Category, decimal Price, IReadOnlyList<string> Tags, Dimensions? Size)
{
    public DateTime? UpdatedAt { get; init; }
    public int Stock { get; set; }
}

public struct Dimensions
{
    public double Width { get; set; }
    public double Height { get; set; }
}
