using SidecarKit.Probes;

namespace SidecarKit.Transports.Grpc;

/// <summary>
/// Probes of a gRPC server's standard health service (<c>grpc.health.v1.Health</c>), for readiness or liveness of
/// any program that serves it (a SidecarKit sidecar on gRPC does, and so do most gRPC servers).
/// </summary>
public static class GrpcHealthProbe
{
    /// <summary>
    /// A probe that calls <c>grpc.health.v1.Health/Check</c> for <paramref name="service"/> and passes when the answer is
    /// <c>SERVING</c>. It fails with <c>NOT_SERVING</c>, with <c>SERVICE_UNKNOWN</c> when the server does not know the
    /// service (the <c>NOT_FOUND</c> status), or with the call's status (for example <c>UNAVAILABLE</c> while nothing listens).
    /// The probe keeps one HTTP/2 channel, made at its first check (no TLS for <c>http://</c>: h2c, as SidecarKit's own
    /// gRPC clients), while the server answers; after an <c>UNAVAILABLE</c> the next check connects afresh, so a
    /// restarted server passes at once. Keep one probe per server rather than making one per check.
    /// </summary>
    /// <param name="address">
    /// Where the server listens: an <c>http://</c> (h2c) or <c>https://</c> URL, a <c>host:port</c> (h2c, the way a
    /// sidecar's listenInfo reads), or a Unix socket's path (anything else with a <c>/</c>, or <c>unix:</c> followed by the path).
    /// </param>
    /// <param name="service">The service to ask about; <c>""</c> (the default) asks about the server as a whole.</param>
    /// <exception cref="ArgumentException"><paramref name="address"/> is empty or none of those forms.</exception>
    public static SidecarProbe Serving(string address, string service = "") => new GrpcHealthServingProbe(address, service, null);

    /// <summary>
    /// <see cref="Serving(string, string)"/> over TLS: the server's certificate is checked as <paramref name="tls"/> says
    /// (given authorities, a pinned SHA-256, or the machine's store) and its client certificate is presented to a server
    /// that requires one (mTLS). A <c>host:port</c> or Unix socket address is then reached with TLS; an <c>http://</c>
    /// URL is refused.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="address"/> is empty, none of the forms, or an <c>http://</c> URL.</exception>
    public static SidecarProbe Serving(string address, string service, GrpcClientTlsOptions tls)
    {
        ArgumentNullException.ThrowIfNull(tls);
        return new GrpcHealthServingProbe(address, service, tls.IsEnabled ? tls : null);
    }
}
