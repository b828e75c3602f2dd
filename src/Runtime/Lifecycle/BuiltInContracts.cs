using SidecarKit.Rpc;

namespace SidecarKit.Lifecycle;

/// <summary>The methods every SidecarKit sidecar serves (see docs/protocol.md).</summary>
[SidecarContract("system")]
internal partial interface ISidecarSystem
{
    /// <summary><c>system.ping</c>: a health snapshot.</summary>
    [SidecarMethod("system.ping")]
    Task<SidecarHealth> PingAsync(CancellationToken ct = default);

    /// <summary>
    /// <c>system.ready</c>: the ready payload again (contracts, instance id, pid), for a parent that attaches to a
    /// sidecar it did not start and so never read its announcement.
    /// </summary>
    [SidecarMethod("system.ready")]
    Task<SidecarReadyInfo> ReadyAsync(CancellationToken ct = default);

    /// <summary><c>system.shutdown</c>: finish the requests in flight, then exit.</summary>
    [SidecarMethod("system.shutdown")]
    Task ShutdownAsync(CancellationToken ct = default);

    /// <summary><c>system.shutdown_now</c>: cancel the requests in flight and exit.</summary>
    [SidecarMethod("system.shutdown_now")]
    Task ShutdownNowAsync(CancellationToken ct = default);
}

/// <summary>The notifications a sidecar sends about itself.</summary>
[SidecarContract("lifecycle")]
internal partial interface ISidecarLifecycle
{
    /// <summary><c>lifecycle.ready</c>: the sidecar accepts requests. The params are the ready payload's members.</summary>
    [SidecarMethod("lifecycle.ready")]
    void Ready(string version, string protocolVersion, int pid, string? instanceId, string? transport, string? listenInfo, IReadOnlyList<SidecarContractInfo>? contracts,
        IReadOnlyList<SidecarContractInfo>? callbacks = null);

    /// <summary><c>lifecycle.shutdown</c>: the sidecar is about to exit.</summary>
    [SidecarMethod("lifecycle.shutdown")]
    void Shutdown(string reason);
}
