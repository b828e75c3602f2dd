using Microsoft.Extensions.Logging;
using SidecarKit.Rpc;

namespace SidecarKit.Hosting;

/// <summary>Settings of a <see cref="SidecarHost"/>; the standard command-line flags fill them.</summary>
public sealed class SidecarHostOptions
{
    /// <summary>The transport to serve (<c>--transport</c>). Default <c>jsonl</c> (JSON-RPC over JSON lines on stdio).</summary>
    public string Transport { get; set; } = "jsonl";

    /// <summary>The lowest level logged to stderr (<c>--log-level</c>). Default <see cref="LogLevel.Information"/>.</summary>
    public LogLevel LogLevel { get; set; } = LogLevel.Information;

    /// <summary>Skip the <c>__SIDECAR_READY__:</c> line on stderr (<c>--quiet-ready</c>); <c>lifecycle.ready</c> is still sent.</summary>
    public bool QuietReady { get; set; }

    /// <summary>
    /// Keep serving when the parent is gone (<c>--detached</c>, or <c>SIDECAR_DETACHED=1</c> in the environment, which a
    /// parent's <c>SidecarProcessOptions.Detached</c> sets): the end of stdin and the parent's exit
    /// (<c>SIDECAR_PARENT_PID</c>) no longer stop the sidecar; <c>system.shutdown</c> and SIGTERM still do. For a sidecar
    /// that a restarted parent reattaches to, or one started by something other than its caller. Only a socket
    /// transport can be detached: on stdio the parent's pipes are the only way in. Default off.
    /// </summary>
    public bool Detached { get; set; }

    /// <summary>How long <c>system.shutdown</c> and the end of stdin wait for requests in flight before cancelling them. Default 10 seconds.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long requests the stop cancelled have to answer (-32800, or gRPC <c>CANCELLED</c>) before the sidecar exits:
    /// after a stop that does not drain (<c>system.shutdown_now</c>, a signal), or once <see cref="ShutdownTimeout"/>
    /// ran out. The same on every transport. Default 2 seconds.
    /// </summary>
    public TimeSpan CancelledRequestsGrace { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The sidecar's version, announced when ready. Default: the entry assembly's informational version.</summary>
    public string Version { get; set; } = "1.0.0";

    /// <summary>
    /// Where a socket transport listens (<c>--listen</c>): a socket path or a pipe name. Default: a fresh private one
    /// (see <c>docs/protocol.md</c>), announced in the ready payload's <c>listenInfo</c>.
    /// </summary>
    public string? Listen { get; set; }

    /// <summary>
    /// The most connections a socket transport serves at once (those that said <c>$/hello</c>, when a token is
    /// required); more are closed as they arrive. Default 64.
    /// </summary>
    public int MaxConnections { get; set; } = 64;

    /// <summary>
    /// When a token is required: the most connections that have not said <c>$/hello</c> yet, a budget apart from
    /// <see cref="MaxConnections"/>; a new connection beyond it drops the oldest waiting one. Default 8.
    /// </summary>
    public int MaxPendingConnections { get; set; } = 8;

    /// <summary>How long a socket connection may take to send <c>$/hello</c> when a token is required (a parent sends it at once). Default 3 seconds.</summary>
    public TimeSpan HelloTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// TLS, for a transport that offers it (gRPC): the server certificate (<c>--tls-cert</c>, <c>--tls-key</c>) and the
    /// client certificates' authority (<c>--tls-client-ca</c>, mTLS). Off by default.
    /// </summary>
    public SidecarTlsOptions Tls { get; } = new();

    /// <summary>
    /// A port on every address that serves only <c>grpc.health.v1</c>, in plaintext (<c>--health-port</c>; gRPC
    /// transports): for probes that cannot reach the sidecar's own endpoint, such as kubelet's <c>grpc</c> probes
    /// (plaintext, to the pod's address) of a sidecar on a Unix socket, on loopback or behind mTLS. Off by default.
    /// </summary>
    public int? HealthPort { get; set; }

    /// <summary>Settings of each connection.</summary>
    public RpcConnectionOptions Connection { get; set; } = new();
}
