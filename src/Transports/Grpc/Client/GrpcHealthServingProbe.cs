using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using SidecarKit.Probes;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace SidecarKit.Transports.Grpc;

/// <summary><see cref="GrpcHealthProbe.Serving(string, string)"/>: <c>grpc.health.v1.Health/Check</c> answers <c>SERVING</c>.</summary>
internal sealed class GrpcHealthServingProbe : SidecarProbe
{
    private readonly Uri _channelAddress;   // the channel's address (a placeholder for a Unix socket: the handler connects to the path)
    private readonly string _listenInfo;    // what SidecarHttpHandler connects to: host:port, or a Unix socket's path
    private readonly HealthCheckRequest _request;
    private readonly Lock _gate = new();
    private Connection? _connection;

    private readonly GrpcClientTlsOptions? _tls;

    public GrpcHealthServingProbe(string address, string service, GrpcClientTlsOptions? tls)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        ArgumentNullException.ThrowIfNull(service);
        _tls = tls;
        (_channelAddress, _listenInfo) = Parse(address, tls);
        _request = new HealthCheckRequest { Service = service };
        Description = service.Length == 0
            ? $"gRPC health of {address} answers SERVING"
            : $"gRPC health of service '{service}' at {address} answers SERVING";
    }

    public override string Description { get; }

    public override async ValueTask<SidecarProbeResult> CheckAsync(SidecarProbeContext context, CancellationToken cancellationToken)
    {
        Connection connection = Connect();
        try
        {
            HealthCheckResponse response = await connection.Client.CheckAsync(_request, cancellationToken: cancellationToken).ConfigureAwait(false);
            return response.Status switch
            {
                ServingStatus.Serving => SidecarProbeResult.Pass,
                ServingStatus.NotServing => SidecarProbeResult.Fail("NOT_SERVING"),
                ServingStatus.ServiceUnknown => SidecarProbeResult.Fail("SERVICE_UNKNOWN"),
                ServingStatus.Unknown => SidecarProbeResult.Fail("UNKNOWN"),
                ServingStatus other => SidecarProbeResult.Fail($"serving status {(int)other}"),
            };
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            // A connection that failed (refused, or cut by a server that stopped: grpc-dotnet says INTERNAL for a
            // response that ended early) is UNAVAILABLE, and the next check connects afresh.
            StatusCode status = e.Status.DebugException is { } local && GrpcClientErrors.IsConnectionLoss(local) ? StatusCode.Unavailable : e.StatusCode;
            if (status == StatusCode.Unavailable) Drop(connection);
            // Check answers NOT_FOUND for a service the server does not know (SERVICE_UNKNOWN is Watch's way of saying it).
            return SidecarProbeResult.Fail(status == StatusCode.NotFound
                ? $"SERVICE_UNKNOWN ('{_request.Service}': NOT_FOUND)"
                : $"{StatusName(status)}: {Why(e)}");
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Cancelled or StatusCode.DeadlineExceeded)
        {
            throw new OperationCanceledException(e.Message, e, cancellationToken);
        }
        catch (Exception e) when (IsFailure(e, cancellationToken))
        {
            return SidecarProbeResult.Fail(e.Message);
        }
    }

    // The status's detail and, when the client failed before the server answered, what the connect saw (the channel's
    // own detail is only "Error connecting to subchannel."). Linux reports a Unix socket's missing path as
    // EADDRNOTAVAIL ("Cannot assign requested address"): said as what it means.
    private string Why(RpcException e)
    {
        if (_listenInfo.Contains('/') && !File.Exists(_listenInfo))
            return $"{_listenInfo} does not exist";
        string detail = e.Status.Detail;
        string? cause = e.Status.DebugException?.GetBaseException().Message;
        return string.IsNullOrEmpty(cause) || detail.Contains(cause, StringComparison.Ordinal) ? detail : $"{detail} ({cause})";
    }

    // The channel is made at the first check and kept while the server answers. When it cannot be reached the channel is
    // dropped and the next check makes a new one: a fresh connect at each check, as the other probes do, rather than the
    // channel's own reconnect backoff (up to two minutes), which would keep the probe failing for a while after the
    // server is back (a restarted sidecar), and would keep trying in the background while nobody checks.
    private Connection Connect()
    {
        if (Volatile.Read(ref _connection) is { } connection) return connection;
        lock (_gate)
        {
            if (_connection is not null) return _connection;
            GrpcChannel channel = GrpcChannel.ForAddress(_channelAddress, new GrpcChannelOptions
            {
                HttpHandler = SidecarHttpHandler.Create(_listenInfo, _tls),
                DisposeHttpClient = true,
                ThrowOperationCanceledOnCancellation = true,
            });
            Volatile.Write(ref _connection, new Connection(channel, new Health.HealthClient(channel)));
            return _connection;
        }
    }

    private void Drop(Connection connection)
    {
        lock (_gate)
        {
            if (!ReferenceEquals(_connection, connection)) return;
            _connection = null;
        }
        connection.Channel.Dispose();
    }

    private sealed record Connection(GrpcChannel Channel, Health.HealthClient Client);

    private static (Uri ChannelAddress, string ListenInfo) Parse(string address, GrpcClientTlsOptions? tls)
    {
        if (address.StartsWith("unix:", StringComparison.Ordinal))
        {
            // gRPC's own naming: unix:path or unix:///absolute/path.
            string path = address.StartsWith("unix://", StringComparison.Ordinal) ? address["unix://".Length..] : address["unix:".Length..];
            if (path.Length == 0) throw Invalid(address);
            return UnixSocket(path.Contains('/') ? path : "./" + path);
        }
        if (Uri.TryCreate(address, UriKind.Absolute, out Uri? uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
            return tls is not null && uri.Scheme == Uri.UriSchemeHttp
                ? throw new ArgumentException($"'{address}' is an http:// URL (h2c), but TLS options were given: use https:// or host:port.", nameof(address))
                : (uri, uri.Authority);
        if (address.Contains('/')) return UnixSocket(address);
        // host:port, as a sidecar's listenInfo reads.
        return Uri.TryCreate("http://" + address, UriKind.Absolute, out uri) && uri.Authority.Length > 0 && !uri.IsDefaultPort
            ? (new Uri(SidecarHttpHandler.AddressOf(uri.Authority, tls)), uri.Authority)
            : throw Invalid(address);

        (Uri, string) UnixSocket(string path) => (new Uri(SidecarHttpHandler.AddressOf(path, tls)), path);
    }

    private static ArgumentException Invalid(string address)
        => new($"'{address}' is not an http:// or https:// URL, a host:port, or a Unix socket's path.", nameof(address));

    // The status as the gRPC specification spells it (DEADLINE_EXCEEDED).
    private static string StatusName(StatusCode code)
    {
        string name = code.ToString();
        var upper = new System.Text.StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i]) && char.IsLower(name[i - 1])) upper.Append('_');
            upper.Append(char.ToUpperInvariant(name[i]));
        }
        return upper.ToString();
    }
}
