using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;

namespace SidecarKit.Transports.Grpc.Server;

/// <summary>
/// Kestrel connection middleware for the plaintext (h2c) port: a connection whose first byte starts a TLS handshake
/// record is closed at once. Kestrel would wait for the 24-byte HTTP/2 preface, and a ClientHello that arrives in
/// pieces shorter than that was held until the keep-alive timeout (about 131 s) before its GOAWAY. No TLS record can
/// ever become HTTP/2 on this port, so the first byte is enough to know.
/// </summary>
internal static class PlaintextOnly
{
    private const byte TlsHandshakeRecord = 0x16;   // the content type every TLS (and SSL 3) ClientHello record starts with

    /// <summary>
    /// The middleware. It waits at most <paramref name="firstBytePatience"/> for the first byte (Kestrel's own timeouts
    /// only start after it), then hands the connection on with nothing consumed.
    /// </summary>
    public static Func<ConnectionDelegate, ConnectionDelegate> Middleware(TimeSpan firstBytePatience, ILogger logger) => next => async connection =>
    {
        PipeReader input = connection.Transport.Input;
        ReadResult result;
        // A stopping server asks its connections to close: one still silent here has nothing to finish.
        CancellationToken closeRequested = connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? default;
        using (var patience = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed, closeRequested))
        {
            patience.CancelAfter(firstBytePatience);
            try
            {
                result = await input.ReadAsync(patience.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                connection.Abort(new ConnectionAbortedException("Nothing was sent on the connection before the server stopped or lost patience."));
                return;
            }
        }
        bool tls = !result.Buffer.IsEmpty && result.Buffer.FirstSpan[0] == TlsHandshakeRecord;
        input.AdvanceTo(result.Buffer.Start);   // nothing consumed or examined: Kestrel reads the same bytes again
        if (tls)
        {
            logger.LogDebug("Closed connection {Connection}: it started a TLS handshake on the plaintext HTTP/2 port.", connection.ConnectionId);
            connection.Abort(new ConnectionAbortedException("A TLS handshake on the plaintext HTTP/2 port."));
            return;
        }
        await next(connection).ConfigureAwait(false);
    };
}
