using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace SidecarKit.Transports.Grpc;

/// <summary>
/// How the parent reaches a sidecar's gRPC server: h2c (or TLS, <see cref="GrpcClientTlsOptions"/>) on one multiplexed
/// HTTP/2 connection that is never recycled, over TCP or, for a listenInfo that is a path, a Unix socket (through
/// <see cref="SocketsHttpHandler.ConnectCallback"/>).
/// </summary>
internal static class SidecarHttpHandler
{
    /// <summary>The address to give the channel for <paramref name="listenInfo"/> (a Unix socket's is a placeholder: the handler connects to the path).</summary>
    public static string AddressOf(string listenInfo, GrpcClientTlsOptions? tls = null)
        => (tls?.IsEnabled == true ? "https://" : "http://") + (IsUnixSocket(listenInfo) ? "localhost" : Reachable(listenInfo));

    // A sidecar listening on every address (0.0.0.0, [::], with TLS) announces that address, which no one can connect
    // to: on the sidecar's own machine it is reached at loopback.
    private static string Reachable(string listenInfo)
        => listenInfo.StartsWith("0.0.0.0:", StringComparison.Ordinal) ? "127.0.0.1" + listenInfo[7..]
            : listenInfo.StartsWith("[::]:", StringComparison.Ordinal) ? "[::1]" + listenInfo[4..]
            : listenInfo;

    /// <summary>
    /// The HTTP handler a channel's calls go through: <see cref="Create"/>'s, with the request bodies of streamed inputs
    /// coalesced (<see cref="CoalescingRequestHandler"/>).
    /// </summary>
    public static HttpMessageHandler CreateForCalls(string listenInfo, GrpcClientTlsOptions? tls = null)
        => new CoalescingRequestHandler(Create(listenInfo, tls));

    /// <summary>The HTTP handler that reaches a sidecar at <paramref name="listenInfo"/>.</summary>
    public static SocketsHttpHandler Create(string listenInfo, GrpcClientTlsOptions? tls = null)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = false,   // one connection, its streams multiplexed
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
        };
        if (IsUnixSocket(listenInfo))
        {
            string path = listenInfo;
            handler.ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }
        if (tls?.IsEnabled == true) handler.SslOptions = ClientSsl(tls);
        return handler;
    }

    // The server's certificate: pinned by its hash, or chained to the given authorities (and named as the address), or
    // the machine's store; the client's, when the sidecar asks for one.
    private static SslClientAuthenticationOptions ClientSsl(GrpcClientTlsOptions tls)
    {
        var ssl = new SslClientAuthenticationOptions
        {
            ApplicationProtocols = [SslApplicationProtocol.Http2],
            TargetHost = tls.ServerName,
        };
        if (tls.LoadClientCertificate() is { } mine) ssl.ClientCertificates = [mine];
        if (tls.ServerCertificateSha256 is { } pin)
        {
            string expected = pin.Replace(":", "", StringComparison.Ordinal).ToLowerInvariant();
            ssl.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                certificate is not null && GrpcClientTlsOptions.Sha256Of(certificate as X509Certificate2 ?? new X509Certificate2(certificate)) == expected;
        }
        else if (tls.LoadCertificateAuthorities() is { Count: > 0 } authorities)
        {
            ssl.CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            ssl.CertificateChainPolicy.CustomTrustStore.AddRange(authorities);
        }
        return ssl;
    }

    private static bool IsUnixSocket(string listenInfo) => listenInfo.Contains('/');
}
