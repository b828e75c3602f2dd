using System.Net;
using System.Net.Sockets;

namespace SidecarKit.Transports.Grpc;

/// <summary>
/// How the parent reaches a sidecar's gRPC server: h2c on one multiplexed HTTP/2 connection that is never recycled,
/// over loopback TCP or, for a listenInfo that is a path, a Unix socket (through <see cref="SocketsHttpHandler.ConnectCallback"/>).
/// </summary>
internal static class SidecarHttpHandler
{
    /// <summary>The address to give the channel for <paramref name="listenInfo"/> (a Unix socket's is a placeholder: the handler connects to the path).</summary>
    public static string AddressOf(string listenInfo) => IsUnixSocket(listenInfo) ? "http://localhost" : "http://" + listenInfo;

    /// <summary>The HTTP handler that reaches a sidecar at <paramref name="listenInfo"/>.</summary>
    public static SocketsHttpHandler Create(string listenInfo)
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
        return handler;
    }

    private static bool IsUnixSocket(string listenInfo) => listenInfo.Contains('/');
}
