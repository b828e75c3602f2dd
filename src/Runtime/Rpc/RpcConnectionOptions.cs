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
    /// How many answers may be owed to the other side (its requests running here, or answered but not yet written)
    /// while a write is in progress before this side stops reading its messages until the write completes. This pushes
    /// back on a peer that sends requests without reading the answers, and bounds the memory they take. Reading
    /// responses to this side's own calls is never held up. Default 256.
    /// </summary>
    public int MaxPendingReplies { get; set; } = 256;

    /// <summary>
    /// How long reading may stay stopped for <see cref="MaxPendingReplies"/> before the peer is given up on and the
    /// connection closed (with the reason logged). Default 30 seconds; <see cref="Timeout.InfiniteTimeSpan"/> waits forever.
    /// </summary>
    public TimeSpan StalledOutputTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Whether requests and notifications carry the current activity's W3C trace context (<c>params._meta</c> on
    /// JSON-RPC, a trailing <c>_meta</c> map on MessagePack-RPC), so the other side's spans join the trace. Default
    /// <see langword="true"/>; turn it off for a peer that refuses unknown params (a StreamJsonRpc server without
    /// flexible argument matching). Nothing is sent while there is no current activity.
    /// </summary>
    public bool PropagateTraceContext { get; set; } = true;
}
