using Microsoft.Extensions.Logging;

namespace SidecarKit.Carriers;

/// <summary>The sidecar's end of a socket carrier: accepts connections and cleans up after itself when disposed.</summary>
internal abstract class CarrierListener : IAsyncDisposable
{
    /// <summary>Where clients connect: the socket's path or the pipe's name (the ready payload's <c>listenInfo</c>).</summary>
    public abstract string ListenInfo { get; }

    /// <summary>Waits for the next connection.</summary>
    public abstract ValueTask<Stream> AcceptAsync(CancellationToken cancellationToken);

    /// <summary>Stops listening and removes what listening created (socket file, private directory).</summary>
    public abstract ValueTask DisposeAsync();

    /// <summary>Starts listening on <paramref name="carrier"/>, at <paramref name="listen"/> or at a fresh private place.</summary>
    /// <exception cref="SidecarException">The place is in use or cannot be listened on; the message says why.</exception>
    public static CarrierListener Start(SidecarCarrier carrier, string? listen, ILogger logger) => carrier switch
    {
        SidecarCarrier.UnixSocket => UnixSocketListener.Start(listen, logger),
        SidecarCarrier.NamedPipe => NamedPipeListener.Start(listen, logger),
        _ => throw new ArgumentOutOfRangeException(nameof(carrier), carrier, "stdio has nothing to listen on."),
    };
}
