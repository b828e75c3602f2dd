using SidecarKit.Lifecycle;

namespace SidecarKit.Transports.Grpc;

/// <summary>
/// Settings of an <see cref="AttachedSidecar"/>: where a sidecar this process did not start serves gRPC, how to reach it,
/// and how it is watched. A remote sidecar is never restarted or killed from here (it is not this process's child):
/// when it stops answering, the attachment reconnects with backoff until it answers again.
/// </summary>
public sealed class SidecarAttachOptions
{
    /// <summary>The sidecar's name, in logs and errors. Default <c>sidecar</c>.</summary>
    public string Name { get; set; } = "sidecar";

    /// <summary>Where it serves gRPC: <c>host:port</c>, or the absolute path of a Unix socket. Required.</summary>
    public string Address { get; set; } = "";

    /// <summary>The token (as bearer), TLS (a CA or pinned thumbprint, a client certificate), interceptors, callbacks and limits of the calls.</summary>
    public GrpcClientOptions Client { get; set; } = new();

    /// <summary>
    /// The instance the sidecar must be (its ready payload's <c>instanceId</c>), as a reattach record names it; another
    /// instance at the address refuses the attach. Default: any. After the attach, a new instance (the sidecar was
    /// restarted by whoever runs it) is followed.
    /// </summary>
    public string? InstanceId { get; set; }

    /// <summary>How long <see cref="AttachedSidecar.AttachAsync"/> waits for the sidecar to be ready (health <c>SERVING</c> and its ready data). Default 30 seconds.</summary>
    public TimeSpan ReadyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How a contract served in another version is judged (docs/compatibility.md). Default <see cref="ContractCompatibility.Compatible"/>.</summary>
    public ContractCompatibility ContractCompatibility { get; set; } = ContractCompatibility.Compatible;

    /// <summary>How often the sidecar's liveness is checked (health, then its instance id). Default 2 seconds; <see cref="Timeout.InfiniteTimeSpan"/> checks only after a call lost the connection.</summary>
    public TimeSpan LivenessInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long one check may take. Default 2 seconds.</summary>
    public TimeSpan CheckTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Failed liveness checks in a row after which the sidecar counts as lost and the attachment reconnects. Default 2.</summary>
    public int LivenessFailureThreshold { get; set; } = 2;

    /// <summary>The first delay between reconnection attempts; each next one doubles, with 10 % jitter, up to <see cref="MaxReconnectDelay"/>. Default 200 ms.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest delay between reconnection attempts. Default 10 seconds. Reconnecting goes on until the sidecar answers or the attachment is disposed.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a call made while the sidecar is lost waits for it to answer again, at most (the call's own budget applies if shorter). Default 30 seconds.</summary>
    public TimeSpan WaitForReadyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long <see cref="AttachedSidecar.StopAsync"/> waits after <c>system.shutdown</c> (for the calls in flight to
    /// drain) before SIGTERM, and after SIGTERM before SIGKILL, when the sidecar's process runs on this machine. Default 10 seconds.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Clock of the state transitions' timestamps. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
