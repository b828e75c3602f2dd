using System.IO.Pipes;
using System.Net.Sockets;

namespace SidecarKit.Carriers;

/// <summary>The parent's end of a socket carrier: connects to what the sidecar announced in <c>listenInfo</c>.</summary>
internal static class CarrierConnector
{
    public static async ValueTask<Stream> ConnectAsync(SidecarCarrier carrier, string listenInfo, CancellationToken cancellationToken)
    {
        switch (carrier)
        {
            case SidecarCarrier.UnixSocket:
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    // Synchronously: a socket that has seen an asynchronous operation stays in non-blocking mode, and .NET then
                    // runs every blocking read through its epoll thread, a thread hop per message. A local connect is
                    // immediate (or refused at once).
                    cancellationToken.ThrowIfCancellationRequested();
                    socket.Connect(new UnixDomainSocketEndPoint(listenInfo));
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            }
            case SidecarCarrier.NamedPipe:
            {
                var pipe = new NamedPipeClientStream(".", listenInfo, PipeDirection.InOut, PipeOptions.Asynchronous | PipeOptions.CurrentUserOnly);
                try
                {
                    await pipe.ConnectAsync(cancellationToken).ConfigureAwait(false);
                    return pipe;
                }
                catch
                {
                    await pipe.DisposeAsync().ConfigureAwait(false);
                    throw;
                }
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(carrier), carrier, "stdio needs no connecting.");
        }
    }
}
