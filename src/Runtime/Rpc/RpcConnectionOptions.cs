namespace SidecarKit.Rpc;

/// <summary>Settings of one <see cref="RpcConnection"/>.</summary>
public sealed class RpcConnectionOptions
{
    /// <summary>The timeout of calls that set none themselves. Default 30 seconds; <see cref="Timeout.InfiniteTimeSpan"/> for none. Streams are not subject to it.</summary>
    public TimeSpan DefaultCallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The most requests from the other side that may run at once; more are refused with -32003. Default 4096.</summary>
    public int MaxConcurrentRequests { get; set; } = 4096;

    /// <summary>
    /// How many stream items a sender may send before the receiver grants more credit. Default 64. A receiver that
    /// never sends credit (a plain JSON-RPC client) still receives this many items.
    /// </summary>
    public int StreamWindow { get; set; } = 64;
}
