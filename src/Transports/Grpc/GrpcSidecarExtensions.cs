using SidecarKit.Hosting;
using SidecarKit.Processes;
using SidecarKit.Rpc;
using SidecarKit.Transports.Grpc.Server;

namespace SidecarKit.Transports.Grpc;

/// <summary>Adds the gRPC transport to a sidecar.</summary>
public static class GrpcSidecarExtensions
{
    /// <summary>
    /// Makes <c>--transport grpc</c> (h2c on loopback TCP; <c>--listen</c> takes a port or a loopback address and port,
    /// default a free port) and <c>--transport grpc-unix</c> (h2c on a Unix socket) available, and
    /// <c>--describe proto</c>.
    /// </summary>
    public static SidecarHostBuilder AddGrpc(this SidecarHostBuilder builder, Action<GrpcServerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new GrpcServerOptions();
        configure?.Invoke(options);
        builder.AddTransport(new SidecarTransport("grpc", "gRPC over HTTP/2 (h2c) on loopback TCP, or TLS anywhere; --listen [host:]port, default a free port",
            (context, ct) => GrpcServer.StartAsync(context, unix: false, options, ct)) { SupportsTls = true });
        builder.AddTransport(new SidecarTransport("grpc-unix", "gRPC over HTTP/2 (h2c) on a Unix domain socket",
            (context, ct) => GrpcServer.StartAsync(context, unix: true, options, ct)) { SupportsTls = true });
        return builder.AddProtoDescription();
    }

    /// <summary>
    /// Calls the sidecar over gRPC. Start it with <c>--transport grpc</c> (or <c>grpc-unix</c>): once it is ready, a
    /// <see cref="GrpcSidecarChannel"/> connects to the <c>listenInfo</c> it announced, with the start's token as bearer.
    /// A gRPC server of another implementation (no ready marker) is reached at <see cref="GrpcClientOptions.Address"/>
    /// once <see cref="SidecarProcessOptions.Readiness"/> passes.
    /// Calls without a timeout of their own get <see cref="SidecarProcessOptions.Connection"/>'s
    /// <c>DefaultCallTimeout</c> as their deadline.
    /// </summary>
    /// <param name="options">The process options.</param>
    /// <param name="client">Message size limits, compression, interceptors and channel settings (a retry policy); its token, logger and default timeout are taken from the process options.</param>
    public static SidecarProcessOptions UseGrpc(this SidecarProcessOptions options, GrpcClientOptions? client = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ExpectedTransports.Clear();
        options.ExpectedTransports.Add("grpc");
        options.ExpectedTransports.Add("grpc-unix");
        options.ConnectChannel = async (context, cancellationToken) =>
        {
            string listenInfo = client?.Address ?? context.ReadyInfo.ListenInfo
                ?? throw new SidecarException($"The sidecar '{context.Name}' is ready on transport '{context.ReadyInfo.Transport}' without a listenInfo: start it with --transport grpc or grpc-unix (or give GrpcClientOptions.Address for a server that announces nothing).");
            GrpcClientOptions settings = client?.Copy() ?? new GrpcClientOptions();
            settings.Token = context.Token;
            settings.DefaultCallTimeout = options.Connection.DefaultCallTimeout;
            settings.LoggerFactory ??= context.LoggerFactory;
            settings.Callbacks = context.Callbacks;
            GrpcSidecarChannel channel = GrpcSidecarChannel.Create(listenInfo, settings);
            try
            {
                await channel.ConnectAsync(cancellationToken).ConfigureAwait(false);   // callbacks work from the first call on
                return channel;
            }
            catch
            {
                await channel.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        };
        return options;
    }
}
