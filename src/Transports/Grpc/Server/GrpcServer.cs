using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SidecarKit.Carriers;
using SidecarKit.Hosting;
using SidecarKit.Rpc;
using SidecarKit.Transports.Grpc.Callbacks;
using SidecarKit.Wire;

namespace SidecarKit.Transports.Grpc.Server;

/// <summary>
/// The sidecar's gRPC server: Kestrel speaking HTTP/2 without TLS (h2c) on loopback TCP or a Unix socket, every
/// contract method at <c>/&lt;package&gt;.&lt;Service&gt;/&lt;Rpc&gt;</c>, plus <c>grpc.health.v1.Health</c> and server
/// reflection. Requests go straight from Kestrel to the generated handlers: no routing middleware, no .NET reflection.
/// </summary>
internal sealed class GrpcServer : ISidecarServer, IHttpApplication<HttpContext>
{
    private enum RouteKind { Contract, HealthCheck, HealthWatch, CallbackSubscribe, CallbackReply, Reflection }

    // IsSystem: system.* answers during a drain and before ready. LongLived: a health watch, a reflection stream or
    // the parent's callback subscription, open as long as their client likes; not calls a shutdown waits for (they end
    // once the calls are drained).
    private sealed record Route(RouteKind Kind, GrpcMethod? Method, RpcMethodHandler? Handler)
    {
        public bool IsSystem { get; } = Method?.Descriptor.Contract == "system";
        public bool IsLongLived => Kind is RouteKind.HealthWatch or RouteKind.CallbackSubscribe or RouteKind.Reflection;
    }

    private readonly Dictionary<string, Route> _routes = new(StringComparer.Ordinal);
    private readonly HealthService _health;
    private readonly Lazy<ReflectionService> _reflection;   // built on the first reflection request: most sidecars never get one
    private readonly GrpcCallbackChannel _callbacks;
    private readonly GrpcServerOptions _options;
    private readonly byte[]? _expectedAuthorization;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _cancelCalls = new();
    private KestrelServer? _kestrel;
    private string? _unixPath, _ownDirectory;
    private int _active;
    private TaskCompletionSource? _drained;

    private GrpcServer(SidecarServerContext context, GrpcServerOptions options, GrpcCallbackChannel callbacks)
    {
        _options = options;
        _callbacks = callbacks;
        _logger = context.LoggerFactory.CreateLogger("SidecarKit.Grpc");
        if (context.Token is { } token)
            _expectedAuthorization = Encoding.UTF8.GetBytes("Bearer " + token);
        RpcHandlerTable handlers = context.CreateHandlers(callbacks);
        var services = new List<string>();
        foreach (ContractDescriptor contract in handlers.Contracts)
        {
            services.Add(Proto.ProtoExporter.QualifiedServiceName(contract.Name));
            foreach (MethodDescriptor descriptor in contract.Methods)
            {
                var method = GrpcMethod.For(descriptor);
                if (handlers.TryGetHandler(descriptor.WireName, out RpcMethodHandler? handler))
                    _routes[method.Path] = new Route(RouteKind.Contract, method, handler);
            }
        }
        _routes[HealthService.CheckPath] = new Route(RouteKind.HealthCheck, null, null);
        _routes[HealthService.WatchPath] = new Route(RouteKind.HealthWatch, null, null);
        _routes[CallbackMessages.SubscribePath] = new Route(RouteKind.CallbackSubscribe, null, null);
        _routes[CallbackMessages.ReplyPath] = new Route(RouteKind.CallbackReply, null, null);
        _routes[ReflectionService.V1Path] = _routes[ReflectionService.V1AlphaPath] = new Route(RouteKind.Reflection, null, null);
        _health = new HealthService(services);
        ContractDescriptor[] contracts = [.. handlers.Contracts];
        _reflection = new(() => new ReflectionService(contracts.Select(c => Proto.ProtoExporter.Export(c).Model!)));
    }

    public string ListenInfo { get; private set; } = "";

    public int ActiveCallCount => Volatile.Read(ref _active);

    /// <summary>Starts Kestrel on loopback TCP (<paramref name="unix"/> false) or a Unix socket.</summary>
    public static async Task<ISidecarServer> StartAsync(SidecarServerContext context, bool unix, GrpcServerOptions options, CancellationToken cancellationToken)
    {
        var callbacks = new GrpcCallbackChannel(context.LoggerFactory.CreateLogger("SidecarKit.Grpc.Callbacks"));
        var server = new GrpcServer(context, options, callbacks);
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
        var kestrelOptions = new KestrelServerOptions
        {
            AddServerHeader = false,
            ApplicationServices = new ServiceCollection().BuildServiceProvider(),
        };
        kestrelOptions.Limits.MaxRequestBodySize = null;   // gRPC limits each message instead
        kestrelOptions.Limits.MinRequestBodyDataRate = null;
        kestrelOptions.Limits.Http2.MaxStreamsPerConnection = _options.MaxConcurrentStreams;
        if (unix)
        {
            _unixPath = UnixSocketListener.PreparePath(context.Options.Listen, _logger, out _ownDirectory);
            kestrelOptions.ListenUnixSocket(_unixPath, listen => listen.Protocols = HttpProtocols.Http2);
        }
        else
        {
            kestrelOptions.Listen(LoopbackEndPoint(context.Options.Listen), listen => listen.Protocols = HttpProtocols.Http2);
        }
        ILoggerFactory kestrelLogs = context.LoggerFactory;
        _kestrel = new KestrelServer(Options.Create(kestrelOptions),
            new SocketTransportFactory(Options.Create(new SocketTransportOptions()), kestrelLogs), kestrelLogs);
        try
        {
            await _kestrel.StartAsync(this, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new SidecarException($"Could not listen on {(unix ? _unixPath : context.Options.Listen ?? "127.0.0.1:0")}: {e.Message}", e);
        }
        if (unix)
        {
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(_unixPath!, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
            ListenInfo = _unixPath!;
        }
        else
        {
            string address = _kestrel.Features.Get<IServerAddressesFeature>()!.Addresses.First();
            var uri = new Uri(address);
            ListenInfo = (uri.HostNameType == UriHostNameType.IPv6 ? "[" + uri.Host.Trim('[', ']') + "]" : uri.Host) + ":" + uri.Port;
        }
    }

    // --listen for grpc: "port", "host:port" or "[::1]:port"; loopback only (h2c is plaintext). Default 127.0.0.1:0.
    internal static IPEndPoint LoopbackEndPoint(string? listen)
    {
        if (string.IsNullOrEmpty(listen)) return new IPEndPoint(IPAddress.Loopback, 0);
        if (ushort.TryParse(listen, out ushort onlyPort)) return new IPEndPoint(IPAddress.Loopback, onlyPort);
        string text = listen.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase) ? "127.0.0.1" + listen["localhost".Length..] : listen;
        if (!IPEndPoint.TryParse(text, out IPEndPoint? endPoint) || endPoint.Port is < 0 or > 65535 || !(text.Contains(':') && !text.EndsWith(']')))
            throw new SidecarException($"--listen '{listen}' is not a port or a loopback address and port (127.0.0.1:50051, [::1]:50051).");
        if (!IPAddress.IsLoopback(endPoint.Address))
            throw new SidecarException($"--listen '{listen}' is not a loopback address: the gRPC transport speaks plaintext HTTP/2 and serves this machine only.");
        return endPoint;
    }

    public void SetServing(bool serving)
    {
        if (serving) _ready = true;
        _health.SetServing(serving);
    }

    private volatile bool _ready;

    // ---- IHttpApplication ----------------------------------------------------------------------------------------

    public HttpContext CreateContext(IFeatureCollection contextFeatures) => new DefaultHttpContext(contextFeatures);

    public void DisposeContext(HttpContext context, Exception? exception) { }

    public async Task ProcessRequestAsync(HttpContext context)
    {
        _routes.TryGetValue(context.Request.Path.Value ?? "", out Route? route);
        if (route is { IsLongLived: true })
        {
            await HandleAsync(context, route).ConfigureAwait(false);
            return;
        }
        Interlocked.Increment(ref _active);
        try
        {
            await HandleAsync(context, route).ConfigureAwait(false);
        }
        finally
        {
            if (Interlocked.Decrement(ref _active) == 0 && _stopping.IsCancellationRequested) _drained?.TrySetResult();
        }
    }

    private async Task HandleAsync(HttpContext context, Route? route)
    {
        HttpRequest request = context.Request;
        if (!HttpMethods.IsPost(request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }
        if (!GrpcProtocol.IsGrpcContentType(request.ContentType))
        {
            // The specification's answer to a request that is not gRPC at all: 415, not a gRPC status.
            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return;
        }
        if (route is null)
        {
            WriteStatus(context, GrpcStatusCode.Unimplemented, $"Method not found: {request.Path.Value} is not served by this sidecar.");
            return;
        }
        // Health answers without the token, so that standard probes work; it tells nothing but the serving state.
        if (route.Kind is not (RouteKind.HealthCheck or RouteKind.HealthWatch) && _expectedAuthorization is not null && !Authorized(request))
        {
            WriteStatus(context, GrpcStatusCode.Unauthenticated, "This sidecar requires 'authorization: Bearer <SIDECAR_TOKEN>'; the call has none or another token.");
            return;
        }
        string? encoding = request.Headers[GrpcProtocol.EncodingHeader];
        if (encoding is not (null or "identity" or "gzip"))
        {
            context.Response.Headers[GrpcProtocol.AcceptEncodingHeader] = GrpcProtocol.SupportedEncodings;
            WriteStatus(context, GrpcStatusCode.Unimplemented, $"Unsupported grpc-encoding '{encoding}': this server takes identity and gzip.");
            return;
        }
        // system.* answers while the sidecar drains, as on the other transports: a ping says "draining" and
        // system.shutdown_now can still cut the drain.
        if (_stopping.IsCancellationRequested && !route.IsSystem && route.Kind is RouteKind.Contract or RouteKind.CallbackSubscribe or RouteKind.HealthWatch or RouteKind.Reflection)
        {
            WriteStatus(context, GrpcStatusCode.Unavailable, "The sidecar is shutting down.", RpcErrorCodes.ShuttingDown);
            return;
        }
        // The server listens while the startup tasks run (so that health can say NOT_SERVING); calls wait for ready.
        if (!_ready && route.Kind == RouteKind.Contract && !route.IsSystem)
        {
            WriteStatus(context, GrpcStatusCode.Unavailable, "The sidecar is still starting (its startup tasks are running): wait for grpc.health.v1 SERVING.");
            return;
        }

        TimeSpan? timeout = GrpcProtocol.ParseTimeout(request.Headers[GrpcProtocol.TimeoutHeader]);
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _cancelCalls.Token);
        if (timeout is { } t && t <= GrpcProtocol.MaxTimer) cancellation.CancelAfter(t);   // longer: no deadline this process can time
        bool gzipResponses = _options.CompressResponses && GrpcCompression.AcceptsGzip(request.Headers[GrpcProtocol.AcceptEncodingHeader]);
        using var call = new GrpcServerCall(context, route.Method, _options, encoding == "gzip", gzipResponses);
        try
        {
            // A reflection stream is bidirectional: its requests are read one by one below.
            if (route.Kind != RouteKind.Reflection) await call.ReadRequestAsync(cancellation.Token).ConfigureAwait(false);
            switch (route.Kind)
            {
                case RouteKind.Contract:
                    await route.Handler!.ServeAsync(call, cancellation.Token).ConfigureAwait(false);
                    break;
                case RouteKind.HealthCheck:
                    string service = ReadHealthRequest(call);
                    if (_health.StatusOf(service) is not { } status)
                    {
                        WriteStatus(call, GrpcStatusCode.NotFound, $"Unknown service '{service}'.");
                        return;
                    }
                    var encoder = call.StartMessage();
                    HealthService.WriteStatus(encoder, status);
                    call.Send(encoder);
                    break;
                case RouteKind.HealthWatch:
                    await WatchHealthAsync(call, ReadHealthRequest(call), cancellation.Token).ConfigureAwait(false);
                    break;
                case RouteKind.CallbackSubscribe:
                    await _callbacks.ServeSubscriptionAsync(call, cancellation.Token).ConfigureAwait(false);
                    break;
                case RouteKind.CallbackReply:
                    CallbackMessages.Reply reply;
                    try { reply = CallbackMessages.ReadReply(call.Request); }
                    catch (Exception e) when (e is WireFormatException or OverflowException)
                    {
                        throw new GrpcFramingException(GrpcStatusCode.InvalidArgument, "Invalid CallbackReply: " + e.Message, RpcErrorCodes.InvalidParams);
                    }
                    if (!_callbacks.Complete(reply))
                    {
                        WriteStatus(call, GrpcStatusCode.NotFound, $"No callback {reply.Id} is waiting for a reply (it timed out, was cancelled or was answered).");
                        return;
                    }
                    call.Send(call.StartMessage());
                    break;
                case RouteKind.Reflection:
                    while (await call.ReadNextRequestAsync(cancellation.Token).ConfigureAwait(false))
                    {
                        byte[] answer;
                        try { answer = _reflection.Value.Answer(call.Request); }
                        catch (Exception e) when (e is WireFormatException or OverflowException)
                        {
                            throw new GrpcFramingException(GrpcStatusCode.InvalidArgument, "Invalid ServerReflectionRequest: " + e.Message, RpcErrorCodes.InvalidParams);
                        }
                        call.SendMessage(answer);
                        await context.Response.BodyWriter.FlushAsync(cancellation.Token).ConfigureAwait(false);
                    }
                    break;
            }
            WriteStatus(call, GrpcStatusCode.OK, null);
        }
        catch (GrpcFramingException e)
        {
            WriteStatus(call, e.Status, e.Message, e.Code);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client reset the stream (RST_STREAM) or went away: nobody to answer.
        }
        catch (OperationCanceledException) when (timeout is not null && cancellation.IsCancellationRequested && !_cancelCalls.IsCancellationRequested)
        {
            WriteStatus(call, GrpcStatusCode.DeadlineExceeded, "Deadline Exceeded");
        }
        catch (OperationCanceledException) when (_cancelCalls.IsCancellationRequested)
        {
            if (route.IsLongLived)
            {
                WriteStatus(call, GrpcStatusCode.Unavailable, "The sidecar is shutting down.");
                return;
            }
            // As on the other transports: a request cut by the shutdown is "cancelled" (-32800), not a failure.
            WriteStatus(call, GrpcStatusCode.Cancelled, "Request cancelled: the sidecar is shutting down.", RpcErrorCodes.RequestCancelled);
        }
        catch (GrpcStatusException e)
        {
            WriteStatus(call, e.Status, e.Message, e.Code, e.ErrorData);
        }
        catch (SidecarRemoteException e)
        {
            WriteStatus(call, GrpcProtocol.StatusOf(e.Code), e.Message, e.Code, e.ErrorData);
        }
        catch (Exception e)
        {
            _logger.LogError(e, "'{Method}' failed.", route.Method?.Descriptor.WireName);
            WriteStatus(call, GrpcStatusCode.Internal, e.Message, RpcErrorCodes.InternalError, ExceptionData(e));
        }
    }

    private static string ReadHealthRequest(GrpcServerCall call)
    {
        try
        {
            return HealthService.ReadService(call.Request);
        }
        catch (WireFormatException e)
        {
            throw new GrpcFramingException(GrpcStatusCode.InvalidArgument, "Invalid HealthCheckRequest: " + e.Message, RpcErrorCodes.InvalidParams);
        }
    }

    // Streams each change of the status; at shutdown it sends NOT_SERVING and ends with UNAVAILABLE (a status, not a
    // reset), so watchers learn why.
    private async Task WatchHealthAsync(GrpcServerCall call, string service, CancellationToken cancellationToken)
    {
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        int? last = null;
        while (true)
        {
            Task changed = _health.Changed;
            int status = _health.StatusOf(service) ?? HealthService.ServiceUnknown;
            if (status != last)
            {
                var encoder = call.StartMessage();
                HealthService.WriteStatus(encoder, status);
                call.Send(encoder);
                await call.Context.Response.BodyWriter.FlushAsync(cancellationToken).ConfigureAwait(false);
                last = status;
            }
            if (_stopping.IsCancellationRequested)
                throw new GrpcFramingException(GrpcStatusCode.Unavailable, "The sidecar is shutting down.");
            try
            {
                await changed.WaitAsync(watching.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                // Once more round the loop: the last status goes out first.
            }
        }
    }

    private bool Authorized(HttpRequest request)
    {
        string? value = request.Headers.Authorization;
        if (value is null) return false;
        Span<byte> given = stackalloc byte[Math.Min(Encoding.UTF8.GetMaxByteCount(value.Length), 512)];
        if (!Encoding.UTF8.TryGetBytes(value, given, out int written)) return false;
        return CryptographicOperations.FixedTimeEquals(given[..written], _expectedAuthorization);
    }

    // The status of a call: in the trailers after a response, or alone in the headers (trailers-only) when nothing
    // was sent. Errors of this toolkit and of applications carry their code and data as trailers too, so the C#
    // client rebuilds the same exception as on the other transports.
    private static void WriteStatus(GrpcServerCall call, GrpcStatusCode status, string? message, int? code = null, JsonElement? data = null)
        => WriteStatus(call.Context, status, message, code, data, call.HasResponse);

    private static void WriteStatus(HttpContext context, GrpcStatusCode status, string? message, int? code = null, JsonElement? data = null, bool hasResponse = false)
    {
        HttpResponse response = context.Response;
        IHeaderDictionary target;
        if (hasResponse || response.HasStarted)
        {
            target = context.Features.Get<IHttpResponseTrailersFeature>()!.Trailers;
        }
        else
        {
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = GrpcProtocol.ContentType;
            target = response.Headers;
        }
        target[GrpcProtocol.StatusHeader] = ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (!string.IsNullOrEmpty(message)) target[GrpcProtocol.MessageHeader] = GrpcProtocol.EncodeMessage(message);
        if (code is { } c) target[GrpcProtocol.ErrorCodeTrailer] = c.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (data is { } d) target[GrpcProtocol.ErrorDataTrailer] = Convert.ToBase64String(Encoding.UTF8.GetBytes(d.GetRawText())).TrimEnd('=');
    }

    private static JsonElement ExceptionData(Exception e)
    {
        using JsonDocument doc = JsonDocument.Parse("{\"type\":" + JsonSerializer.Serialize(e.GetType().FullName, GrpcJsonContext.Default.String) + "}");
        return doc.RootElement.Clone();
    }

    // ---- stopping -------------------------------------------------------------------------------------------------

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _stopping.Cancel();   // new calls get UNAVAILABLE; health watchers end
        if (Volatile.Read(ref _active) == 0) _drained.TrySetResult();
        try
        {
            await _drained.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _logger.LogWarning("Cancelling {Count} calls still running at shutdown.", Volatile.Read(ref _active));
            _cancelCalls.Cancel();
            await Task.WhenAny(_drained.Task, Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None)).ConfigureAwait(false);
        }
        _cancelCalls.Cancel();   // the subscription and the watches
        if (_kestrel is not null)
        {
            using var last = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await _kestrel.StopAsync(last.Token).ConfigureAwait(false);
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
        if (_kestrel is not null)
        {
            _kestrel.Dispose();
            _kestrel = null;
        }
        RemoveFiles();
        _stopping.Dispose();
        _cancelCalls.Dispose();
        await Task.CompletedTask.ConfigureAwait(false);
    }
}
