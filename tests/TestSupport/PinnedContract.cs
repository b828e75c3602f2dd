using SidecarKit;

namespace SidecarKit.Tests.Support;

/// <summary>A contract whose Protocol Buffers field numbers are pinned with [SidecarField] (members reordered since).</summary>
[SidecarContract("pinned")]
public partial interface IPinned
{
    /// <summary>Parameters pinned out of order; 3 and 4 were removed parameters' numbers ([SidecarReserved]).</summary>
    [SidecarReserved(4, 3)]
    Task<Order> PlaceAsync([SidecarField(2)] string customer, [SidecarField(1)] int quantity, CancellationToken ct = default);
}

/// <summary>A DTO with one member pinned, the rest positional; 5 was a removed member's number ([SidecarReserved]).</summary>
[SidecarReserved(5)]
public sealed record Order([property: SidecarField(7)] string Id, int Quantity, string Customer);
