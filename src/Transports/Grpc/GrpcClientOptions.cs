using Microsoft.Extensions.Logging;

namespace SidecarKit.Transports.Grpc;

/// <summary>Settings of a <see cref="GrpcSidecarChannel"/>.</summary>
public sealed class GrpcClientOptions
{
    /// <summary>The token sent as <c>authorization: Bearer &lt;token&gt;</c> (the sidecar's <c>SIDECAR_TOKEN</c>); none when <see langword="null"/>.</summary>
    public string? Token { get; set; }

    /// <summary>
    /// The deadline of calls whose method has no timeout of its own and that run outside <c>SidecarCall.WithTimeout</c>:
    /// sent as <c>grpc-timeout</c> and enforced here. Default 30 seconds, as on the other transports.
    /// </summary>
    public TimeSpan DefaultCallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The largest response message accepted; larger ones fail the call with <c>RESOURCE_EXHAUSTED</c>. Default 4 MiB.</summary>
    public int MaxReceiveMessageSize { get; set; } = GrpcProtocol.DefaultMaxReceiveMessageSize;

    /// <summary>Whether request messages are sent gzip-compressed (<c>grpc-encoding: gzip</c>). Default no: on one machine, compression costs more than it saves.</summary>
    public bool CompressRequests { get; set; }

    /// <summary>
    /// The parent's handlers of the sidecar's calls back (callback contracts). When any contract is added, the channel
    /// subscribes to the sidecar's <c>sidecarkit.callbacks.Callbacks</c> and serves those calls; <see cref="GrpcSidecarChannel.ConnectAsync"/>
    /// waits until the subscription is in place. <c>UseGrpc()</c> sets the process options' <c>Callbacks</c> here.
    /// </summary>
    public SidecarKit.Rpc.RpcHandlerTable? Callbacks { get; set; }

    /// <summary>Where dropped notifications are logged.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }
}
