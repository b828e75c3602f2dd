using System.Net;
using System.Net.Sockets;
using Grpc.AspNetCore.Server.Model;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SidecarKit.Carriers;
using SidecarKit.Hosting;
using SidecarKit.Rpc;
using SidecarKit.Transports.Grpc.Callbacks;
using SidecarKit.Transports.Grpc.Proto;

namespace SidecarKit.Transports.Grpc.Server;

/// <summary>
/// The sidecar's gRPC server: grpc-dotnet on a slim Kestrel host (h2c, loopback TCP or a Unix socket, no configuration
/// files, no console lifetime), serving every contract, <c>sidecarkit.system.System</c>, health, reflection and the
/// callback subscription as one grpc-dotnet service. <see cref="SidecarCallGate"/> runs before routing (token,
/// readiness, drain); the drain lets running calls finish and deliver their answers before Kestrel stops.
/// </summary>
internal sealed class GrpcServer : ISidecarServer
{
    private readonly GrpcServerOptions _options;
    private readonly TimeSpan _cancelledCallsGrace;   // how long calls the stop cancelled have to answer (the host's option, as on every transport)
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _cancelCalls = new();
    private readonly GrpcCallbackChannel _callbacks;
    private readonly RpcHandlerTable _handlers;
    private readonly SidecarHealthService _health;
    private readonly SidecarReflectionService _reflection;
    private readonly SidecarCallGate _gate;
    private WebApplication? _app;
    private string? _unixPath, _ownDirectory;

    private GrpcServer(SidecarServerContext context, GrpcServerOptions options)
    {
        _options = options;
        _cancelledCallsGrace = context.Options.CancelledRequestsGrace;
        _logger = context.LoggerFactory.CreateLogger("SidecarKit.Grpc");
        _callbacks = new GrpcCallbackChannel(context.LoggerFactory.CreateLogger("SidecarKit.Grpc.Callbacks"));
        _handlers = context.CreateHandlers(_callbacks);
        var routes = new Dictionary<string, SidecarCallGate.Route>(StringComparer.Ordinal);
        var services = new List<string>();
        var files = new List<ProtoFileModel>();
        foreach (ContractDescriptor contract in _handlers.Contracts)
        {
            services.Add(ProtoExporter.QualifiedServiceName(contract.Name));
            files.Add(ProtoExporter.Export(contract).Model!);
            foreach (MethodDescriptor method in contract.Methods)
                if (_handlers.TryGetHandler(method.WireName, out _))
                    routes[GrpcMethod.For(method).Path] = contract.Name == "system" ? SidecarCallGate.Route.System : SidecarCallGate.Route.Contract;
        }
        routes["/grpc.health.v1.Health/Check"] = SidecarCallGate.Route.HealthCheck;
        routes["/grpc.health.v1.Health/Watch"] = SidecarCallGate.Route.HealthWatch;
        routes[CallbackMessages.SubscribePath] = SidecarCallGate.Route.LongLived;
        routes[CallbackMessages.ReplyPath] = SidecarCallGate.Route.Other;
        routes["/" + SidecarReflectionService.V1 + "/ServerReflectionInfo"] = SidecarCallGate.Route.LongLived;
        routes["/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"] = SidecarCallGate.Route.LongLived;
        _health = new SidecarHealthService(services, _stopping.Token);
        _reflection = new SidecarReflectionService(files, [.. services, "grpc.health.v1.Health"], _stopping.Token);
        _gate = new SidecarCallGate(routes, context.Token, context.Options.Connection.MaxConcurrentRequests);
    }

    public string ListenInfo { get; private set; } = "";

    public int ActiveCallCount => _gate.ActiveCallCount;

    /// <summary>Starts the server on loopback TCP (<paramref name="unix"/> false) or a Unix socket.</summary>
    public static async Task<ISidecarServer> StartAsync(SidecarServerContext context, bool unix, GrpcServerOptions options, CancellationToken cancellationToken)
    {
        var server = new GrpcServer(context, options);
        try
        {
            await server.ListenAsync(context, unix, cancellationToken).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task ListenAsync(SidecarServerContext context, bool unix, CancellationToken cancellationToken)
    {
        ServerTls? tls = ServerTls.From(context.Options.Tls, _logger);
        IPEndPoint? endPoint = unix ? null : ListenEndPoint(context.Options.Listen, tls is not null);
        System.Net.Sockets.Socket? unixSocket = null;
        if (unix)
        {
            // Bound, made 0600 and listening before Kestrel takes it (as the socket carriers do), not chmod-ed after
            // Kestrel started listening: no other user can connect in between.
            _unixPath = UnixSocketListener.PreparePath(context.Options.Listen, _logger, out _ownDirectory);
            unixSocket = UnixSocketListener.BindPrivate(_unixPath);
        }

        // The empty builder: no appsettings, no environment configuration, no file watchers, no console lifetime.
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = null;   // gRPC limits each message instead
            kestrel.Limits.MinRequestBodyDataRate = null;
            kestrel.Limits.Http2.MaxStreamsPerConnection = _options.MaxConcurrentStreams;
            void Configure(ListenOptions listen)
            {
                listen.Protocols = HttpProtocols.Http2;
                if (tls is not null) listen.UseHttps(tls.HandshakeOptions());
                else listen.Use(PlaintextOnly.Middleware(kestrel.Limits.KeepAliveTimeout, _logger));
            }
            // The probes' port: grpc.health.v1 alone (the middleware below refuses the rest), plaintext, every address.
            if (context.Options.HealthPort is int healthPort)
                kestrel.ListenAnyIP(healthPort, listen =>
                {
                    listen.Protocols = HttpProtocols.Http2;
                    listen.Use(PlaintextOnly.Middleware(kestrel.Limits.KeepAliveTimeout, _logger));
                });
            if (unixSocket is not null)
            {
                kestrel.ListenHandle((ulong)unixSocket.SafeHandle.DangerousGetHandle(), Configure);
                unixSocket.SafeHandle.SetHandleAsInvalid();   // Kestrel owns the descriptor now and closes it; ours must never
            }
            else kestrel.Listen(endPoint!, Configure);
        });
        builder.Services.AddSingleton<IHostLifetime, SidecarHostLifetime>();   // the sidecar host owns signals and shutdown
        builder.Services.AddLogging();
        builder.Services.AddSingleton<ILoggerFactory>(new QuietFrameworkLogs(context.LoggerFactory));
        builder.Services.AddRoutingCore();
        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = _options.MaxReceiveMessageSize;
            grpc.MaxSendMessageSize = _options.MaxSendMessageSize;
            grpc.CompressionProviders = [new VerifiedGzipCompressionProvider()];   // instead of grpc-dotnet's, which runs truncated gzip
            if (_options.CompressResponses) grpc.ResponseCompressionAlgorithm = "gzip";   // for clients whose grpc-accept-encoding names it
        });
        builder.Services.AddSingleton(new SidecarGrpcService());
        builder.Services.AddSingleton<IServiceMethodProvider<SidecarGrpcService>>(new DelegateServiceMethodProvider<SidecarGrpcService>(Bind));

        WebApplication app = builder.Build();
        _app = app;
        if (context.Options.HealthPort is int probes)
            app.Use((http, next) => http.Connection.LocalPort != probes || http.Request.Path.StartsWithSegments("/grpc.health.v1.Health")
                ? next(http)
                : RefuseOnHealthPort(http));
        app.Use(_gate.InvokeAsync);
        app.UseRouting();
        app.MapGrpcService<SidecarGrpcService>();
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            // Kestrel wraps "address in use" in an IOException but lets the others through as they are (an address
            // the socket cannot take, EINVAL for [::ffff:127.0.0.1]; permissions): all are a reason to give, not a crash.
            throw new SidecarException($"Could not listen on {(unix ? _unixPath : context.Options.Listen ?? "127.0.0.1:0")}: {e.Message}", e);
        }
        if (unix)
        {
            AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
            ListenInfo = _unixPath!;
        }
        else
        {
            // The contracts' endpoint, not the probes' (--health-port).
            string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
                .First(a => new Uri(a).Port != context.Options.HealthPort);
            var uri = new Uri(address);
            ListenInfo = (uri.HostNameType == UriHostNameType.IPv6 ? "[" + uri.Host.Trim('[', ']') + "]" : uri.Host) + ":" + uri.Port;
        }
    }

    // Anything but grpc.health.v1 on the probes' port: UNIMPLEMENTED, as for a method this port does not have.
    private static Task RefuseOnHealthPort(Microsoft.AspNetCore.Http.HttpContext http)
    {
        http.Response.ContentType = "application/grpc";
        http.Response.Headers["grpc-status"] = "12";
        http.Response.Headers["grpc-message"] = "This port serves grpc.health.v1 only (--health-port).";
        return Task.CompletedTask;
    }

    // Everything this server serves, as methods of one grpc-dotnet service.
    private void Bind(ServiceMethodProviderContext<SidecarGrpcService> context)
    {
        var contracts = new GrpcContractBinder<SidecarGrpcService>(context, _logger, _cancelCalls.Token);
        foreach (ContractDescriptor contract in _handlers.Contracts) contracts.AddContract(contract, _handlers);
        Health.BindService(new GrpcServiceBinder<SidecarGrpcService>(context), _health);
        ServerReflection.BindService(new GrpcServiceBinder<SidecarGrpcService>(context), _reflection);
        ServerReflection.BindService(new GrpcServiceBinder<SidecarGrpcService>(context, SidecarReflectionService.V1), _reflection);
        CallbacksService.Add(context, _callbacks, _cancelCalls.Token);
    }

    // --listen for grpc: "port", "host:port" or "[::1]:port"; loopback only unless TLS is on (h2c is plaintext). Default 127.0.0.1:0.
    internal static IPEndPoint ListenEndPoint(string? listen, bool tls)
    {
        if (string.IsNullOrEmpty(listen)) return new IPEndPoint(IPAddress.Loopback, 0);
        if (ushort.TryParse(listen, out ushort onlyPort)) return new IPEndPoint(IPAddress.Loopback, onlyPort);
        string text = listen.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase) ? "127.0.0.1" + listen["localhost".Length..] : listen;
        if (!IPEndPoint.TryParse(text, out IPEndPoint? endPoint) || endPoint.Port is < 0 or > 65535 || !(text.Contains(':') && !text.EndsWith(']')))
            throw new SidecarException($"--listen '{listen}' is not a port or an address and port (127.0.0.1:50051, [::1]:50051, 0.0.0.0:50051 with TLS).");
        if (!IPAddress.IsLoopback(endPoint.Address) && !tls)
            throw new SidecarException($"--listen '{listen}' is not a loopback address: without TLS the gRPC transport speaks plaintext HTTP/2 and serves this " +
                "machine only. Give the sidecar a certificate (--tls-cert and --tls-key, and --tls-client-ca to require client certificates) to serve other machines.");
        return endPoint;
    }

    public void StopAccepting() => _gate.StopAccepting();

    public void SetServing(bool serving)
    {
        if (serving) _gate.SetReady();
        _health.SetServing(serving);
    }

    // How long Kestrel's graceful stop may take to send the answers of the drained calls before it aborts the connections.
    private static readonly TimeSpan AnswersWrittenGrace = TimeSpan.FromSeconds(5);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Task drained = _gate.DrainAsync(CancellationToken.None);   // new calls get UNAVAILABLE
        _stopping.Cancel();   // health watches and reflection streams end
        try
        {
            await drained.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _logger.LogWarning("Cancelling {Count} calls still running at shutdown.", _gate.ActiveCallCount);
            _cancelCalls.Cancel();
            await Task.WhenAny(drained, Task.Delay(_cancelledCallsGrace, CancellationToken.None)).ConfigureAwait(false);
        }
        _cancelCalls.Cancel();   // the subscription
        if (_app is not null)
        {
            // Graceful: Kestrel finishes sending what the drained calls answered before it closes their connections, and
            // returns as soon as it has (so the time below is a bound, not a wait). A drained call is counted done when
            // its handler returns, before grpc-dotnet has written its answer; at 1 s, a CI run with other suites beside
            // it once saw an answer cut off this way (GrpcDrainRaceTests, the sidecar exiting 0 with the call in flight).
            using var last = new CancellationTokenSource(AnswersWrittenGrace);
            await _app.StopAsync(last.Token).ConfigureAwait(false);
        }
    }

    private void OnProcessExit(object? sender, EventArgs e) => RemoveFiles();

    private void RemoveFiles()
    {
        if (_unixPath is { } path) PrivateSocketPlace.TryDelete(() => File.Delete(path));
        if (_ownDirectory is { } directory) PrivateSocketPlace.TryDelete(() => Directory.Delete(directory, recursive: true));
    }

    public async ValueTask DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        if (_app is not null)
        {
            await _app.DisposeAsync().ConfigureAwait(false);
            _app = null;
        }
        RemoveFiles();
        _stopping.Dispose();
        _cancelCalls.Dispose();
    }
}

/// <summary>The grpc-dotnet service type the sidecar's methods belong to; its methods ignore the instance.</summary>
internal sealed class SidecarGrpcService;
