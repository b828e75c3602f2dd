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

    /// <summary>
    /// How many messages may wait to be written before this side stops reading the other side's messages, which pushes
    /// back on a peer that sends but does not read. Bounds memory. Default 1024.
    /// </summary>
    public int MaxQueuedWrites { get; set; } = 1024;

    /// <summary>
    /// How long reading may stay stopped for <see cref="MaxQueuedWrites"/> before the peer is given up on and the
    /// connection closed (with the reason logged). Default 30 seconds; <see cref="Timeout.InfiniteTimeSpan"/> waits forever.
    /// </summary>
    public TimeSpan StalledOutputTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
