using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using SidecarKit.Interop;

namespace SidecarKit.Carriers;

/// <summary>
/// Listens on a Unix domain socket: by default <c>sidecar.sock</c> in a fresh 0700 directory, the socket itself 0600.
/// A socket file left by a killed run is replaced; one a live process still listens on, or anything that is not a socket,
/// is an error.
/// </summary>
internal sealed class UnixSocketListener : CarrierListener
{
    /// <summary>The most bytes a socket path may have (<c>sun_path</c> is 108 bytes on Linux, with the terminating zero).</summary>
    internal const int MaxPathBytes = 107;

    private readonly Socket _socket;
    private readonly string _path;
    private readonly string? _ownDirectory;

    private UnixSocketListener(Socket socket, string path, string? ownDirectory)
    {
        _socket = socket;
        _path = path;
        _ownDirectory = ownDirectory;
        // Environment.Exit (a contract method that ends the process, an unhandled exception) skips the host's shutdown
        // but still runs ProcessExit: clean up there too. Only a SIGKILL leaves files behind, for the next sweep.
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    private void OnProcessExit(object? sender, EventArgs e) => RemoveFiles();

    private void RemoveFiles()
    {
        PrivateSocketPlace.TryDelete(() => File.Delete(_path));
        if (_ownDirectory is not null) PrivateSocketPlace.TryDelete(() => Directory.Delete(_ownDirectory, recursive: true));
    }

    public override string ListenInfo => _path;

    /// <summary>
    /// The path to listen on: <paramref name="listen"/> (a stale socket file there removed), or <c>sidecar.sock</c> in
    /// a fresh private directory, returned in <paramref name="ownDirectory"/> for removal at exit. Shared with the
    /// servers that bind their own sockets (gRPC on Kestrel).
    /// </summary>
    internal static string PreparePath(string? listen, ILogger logger, out string? ownDirectory)
    {
        ownDirectory = null;
        string path;
        if (listen is null)
        {
            ownDirectory = PrivateSocketPlace.CreateDirectory(logger);
            path = Path.Combine(ownDirectory, "sidecar.sock");
        }
        else
        {
            path = Path.GetFullPath(listen);
            RemoveIfStale(path, logger);
        }
        if (Encoding.UTF8.GetByteCount(path) > MaxPathBytes)
        {
            if (ownDirectory is { } created) PrivateSocketPlace.TryDelete(() => Directory.Delete(created, recursive: true));
            throw new SidecarException($"The socket path '{path}' is {Encoding.UTF8.GetByteCount(path)} bytes long; Unix sockets allow at most {MaxPathBytes}. Choose a shorter --listen path (or a shorter $XDG_RUNTIME_DIR / TMPDIR).");
        }
        return path;
    }

    public static UnixSocketListener Start(string? listen, ILogger logger)
    {
        string path = PreparePath(listen, logger, out string? ownDirectory);
        try
        {
            return new UnixSocketListener(BindPrivate(path), path, ownDirectory);
        }
        catch
        {
            if (ownDirectory is not null) PrivateSocketPlace.TryDelete(() => Directory.Delete(ownDirectory, recursive: true));
            throw;
        }
    }

    /// <summary>
    /// A socket listening at <paramref name="path"/> (from <see cref="PreparePath"/>), made 0600 before it listens, so no
    /// other user can connect in between. Shared with the servers that serve the socket themselves (gRPC on Kestrel,
    /// which takes it as a handle).
    /// </summary>
    internal static Socket BindPrivate(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(path));
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            socket.Listen(128);
            return socket;
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new SidecarException($"Could not listen on the Unix socket '{path}': {e.Message}", e);
        }
    }

    // The one place that decides whether a path may be listened on (the carriers and gRPC's grpc-unix both come here).
    // Only a socket can be a leftover of ours, and only one nobody accepts on; anything else is someone's file, perhaps
    // planted, and is refused untouched: a regular file (even an empty one), a FIFO, a device, a symbolic link (not
    // followed, whatever it points to).
    private static void RemoveIfStale(string path, ILogger logger)
    {
        switch (Posix.GetFileKind(path))
        {
            case Posix.FileKind.None:
                return;
            case Posix.FileKind.Directory:
                throw new SidecarException($"Cannot listen on '{path}': it is a directory. Give the socket file's path to --listen.");
            case Posix.FileKind.Other:
                throw new SidecarException($"Cannot listen on '{path}': a file that is not a socket is there. Remove it or choose another --listen path.");
        }
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.AddressNotAvailable)
        {
            // Nobody listens: a leftover of a run that was killed before it could clean up.
            File.Delete(path);
            logger.LogInformation("Removed the stale socket file {Path} left by an earlier run.", path);
            return;
        }
        catch (SocketException e)
        {
            throw new SidecarException($"Cannot listen on '{path}': a socket is there that could not be probed ({e.Message}).", e);
        }
        throw new SidecarException($"Cannot listen on '{path}': another process is listening there. Stop it or choose another --listen path.");
    }

    // Accepted with a blocking call on a thread of its own (disposing the listener ends it): a socket that has seen an
    // asynchronous operation stays in non-blocking mode, and .NET then runs the connection's blocking reads through its
    // epoll thread, a thread hop per message.
    public override async ValueTask<Stream> AcceptAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Socket client = await Task.Factory.StartNew(() => _socket.Accept(), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default)
            .ConfigureAwait(false);
        return new NetworkStream(client, ownsSocket: true);
    }

    public override ValueTask DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        _socket.Dispose();
        RemoveFiles();
        return default;
    }
}
