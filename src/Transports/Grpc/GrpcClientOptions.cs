using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;

namespace SidecarKit.Transports.Grpc;

/// <summary>Settings of a <see cref="GrpcSidecarChannel"/>.</summary>
public sealed class GrpcClientOptions
{
    /// <summary>The token sent as <c>authorization: Bearer &lt;token&gt;</c> (the sidecar's <c>SIDECAR_TOKEN</c>); none when <see langword="null"/>.</summary>
    public string? Token { get; set; }

    /// <summary>
    /// Where the sidecar serves gRPC, for <c>UseGrpc</c> on a server that announces nothing (a <c>grpcio</c> or
    /// <c>grpc-js</c> server generated from the contract's exported <c>.proto</c>, made ready by a readiness probe such
    /// as <c>GrpcHealthProbe.Serving</c>): <c>host:port</c> or the absolute path of a Unix socket. Default: the
    /// <c>listenInfo</c> the sidecar announced when it became ready.
    /// </summary>
    public string? Address { get; set; }

    /// <summary>
    /// The deadline of calls whose method has no timeout of its own and that run outside <c>SidecarCall.WithTimeout</c>:
    /// the call's <c>CallOptions.Deadline</c> (sent as <c>grpc-timeout</c>, and enforced by the client). Default 30
    /// seconds, as on the other transports; <see cref="Timeout.InfiniteTimeSpan"/> sets none (an interceptor may set its own).
    /// </summary>
    public TimeSpan DefaultCallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The largest response message accepted; larger ones fail the call with <c>RESOURCE_EXHAUSTED</c>. Default 4 MiB.
    /// Applies to the channel made from a listenInfo (<c>GrpcChannelOptions.MaxReceiveMessageSize</c>); a
    /// <c>CallInvoker</c> of the application's has its own channel's limit.
    /// </summary>
    public int MaxReceiveMessageSize { get; set; } = GrpcProtocol.DefaultMaxReceiveMessageSize;

    /// <summary>TLS, for a sidecar started with <c>--tls-cert</c>: the server certificate to trust, the client certificate to present. Off by default (h2c).</summary>
    public GrpcClientTlsOptions Tls { get; set; } = new();

    /// <summary>Whether request messages are sent gzip-compressed (<c>grpc-encoding: gzip</c>). Default no: on one machine, compression costs more than it saves.</summary>
    public bool CompressRequests { get; set; }

    /// <summary>
    /// The parent's handlers of the sidecar's calls back (callback contracts). When any contract is added, the channel
    /// subscribes to the sidecar's <c>sidecarkit.callbacks.Callbacks</c> and serves those calls; <see cref="GrpcSidecarChannel.ConnectAsync"/>
    /// waits until the subscription is in place. <c>UseGrpc()</c> sets the process options' <c>Callbacks</c> here.
    /// </summary>
    public SidecarKit.Rpc.RpcHandlerTable? Callbacks { get; set; }

    /// <summary>Where failed notifications and callbacks are logged; also grpc-dotnet's logger of the channel made from a listenInfo.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>
    /// grpc-dotnet interceptors the calls of the channel made from a listenInfo go through, the first added the
    /// outermost (also <c>UseGrpc()</c>'s). A channel over the application's own <c>CallInvoker</c> takes that invoker's.
    /// </summary>
    public IList<Interceptor> Interceptors { get; } = [];

    /// <summary>
    /// Adjusts the <see cref="GrpcChannelOptions"/> of the channel made from a listenInfo before it is created: a retry
    /// policy (<c>ServiceConfig</c>), compression providers, message limits. Its <c>HttpHandler</c> is the one that
    /// reaches the sidecar (h2c, TCP or Unix socket); replace it only with one that does the same.
    /// </summary>
    public Action<GrpcChannelOptions>? ConfigureChannel { get; set; }

    /// <summary>A copy of these options (the interceptors in a list of its own), for a caller that adjusts them.</summary>
    internal GrpcClientOptions Copy()
    {
        var copy = new GrpcClientOptions
        {
            Token = Token,
            Address = Address,
            DefaultCallTimeout = DefaultCallTimeout,
            MaxReceiveMessageSize = MaxReceiveMessageSize,
            Tls = Tls,
            CompressRequests = CompressRequests,
            Callbacks = Callbacks,
            LoggerFactory = LoggerFactory,
            ConfigureChannel = ConfigureChannel,
        };
        foreach (Interceptor interceptor in Interceptors) copy.Interceptors.Add(interceptor);
        return copy;
    }
}
