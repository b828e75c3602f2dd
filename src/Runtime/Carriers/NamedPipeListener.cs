using System.IO.Pipes;
using Microsoft.Extensions.Logging;

namespace SidecarKit.Carriers;

/// <summary>
/// Listens on a named pipe, current user only: a fresh <c>sidecarkit-&lt;pid&gt;-&lt;random&gt;</c> name unless
/// <c>--listen</c> gives one. One server instance always waits for the next client.
/// </summary>
internal sealed class NamedPipeListener : CarrierListener
{
    private const PipeOptions Options = PipeOptions.Asynchronous | PipeOptions.CurrentUserOnly;
    private readonly string _name;
    private NamedPipeServerStream? _waiting;

    private NamedPipeListener(string name, NamedPipeServerStream first)
    {
        _name = name;
        _waiting = first;
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit; // as UnixSocketListener: Environment.Exit skips the shutdown
    }

    private void OnProcessExit(object? sender, EventArgs e) => RemoveFile();

    // .NET removes the file only when the last server instance closes; connections still open would keep it.
    private void RemoveFile()
    {
        if (!OperatingSystem.IsWindows()) PrivateSocketPlace.TryDelete(() => File.Delete(UnixPath(_name)));
    }

    public override string ListenInfo => _name;

    public static NamedPipeListener Start(string? listen, ILogger logger)
    {
        if (listen is not null && (listen.Length == 0 || listen.Contains('/') || listen.Contains('\\')))
            throw new SidecarException($"'{listen}' is not a pipe name: give a plain name without slashes to --listen.");
        // On Unix a pipe is a socket file in the temp directory, left behind by a killed server.
        if (!OperatingSystem.IsWindows())
            PrivateSocketPlace.SweepLeftovers(Directory.EnumerateFiles(Path.GetTempPath(), UnixPathPrefix + PrivateSocketPlace.Prefix + "*"),
                path => Path.GetFileName(path)[UnixPathPrefix.Length..], File.Delete, logger);
        string name = listen ?? PrivateSocketPlace.NewName();
        // On Unix, .NET silently replaces whatever file is behind a pipe name, a live socket or someone's regular file:
        // only a socket nobody serves may go (as UnixSocketListener decides for --listen paths).
        if (listen is not null && !OperatingSystem.IsWindows() && Interop.Posix.GetFileKind(UnixPath(name)) is Interop.Posix.FileKind.Directory or Interop.Posix.FileKind.Other)
            throw new SidecarException($"Cannot listen on the pipe '{name}': '{UnixPath(name)}' is there and is not a socket. Remove it or choose another --listen name.");
        if (listen is not null && IsServed(name))
            throw new SidecarException($"Cannot listen on the pipe '{name}': another process is serving it. Stop it or choose another --listen name.");
        try
        {
            var listener = new NamedPipeListener(name, Create(name));
            // CurrentUserOnly checks each client's user; the socket file behind the pipe is made private as well.
            if (!OperatingSystem.IsWindows() && File.Exists(UnixPath(name)))
                File.SetUnixFileMode(UnixPath(name), UnixFileMode.UserRead | UnixFileMode.UserWrite);
            return listener;
        }
        catch (IOException e)
        {
            throw new SidecarException($"Could not listen on the pipe '{name}': {e.Message}", e);
        }
    }

    // Where .NET puts a pipe on Unix (a detail of its implementation, checked by the tests).
    private const string UnixPathPrefix = "CoreFxPipe_";

    internal static string UnixPath(string name) => Path.Combine(Path.GetTempPath(), UnixPathPrefix + name);

    private static NamedPipeServerStream Create(string name)
        => new(name, PipeDirection.InOut, NamedPipeServerStream.MaxAllowedServerInstances, PipeTransmissionMode.Byte, Options);

    private static bool IsServed(string name)
    {
        using var probe = new NamedPipeClientStream(".", name, PipeDirection.InOut, PipeOptions.None);
        try
        {
            probe.Connect(100);
            return true;
        }
        catch (Exception e) when (e is TimeoutException or IOException or UnauthorizedAccessException) { return false; }
    }

    public override async ValueTask<Stream> AcceptAsync(CancellationToken cancellationToken)
    {
        NamedPipeServerStream server = _waiting ?? throw new ObjectDisposedException(nameof(NamedPipeListener));
        await server.WaitForConnectionAsync(cancellationToken).ConfigureAwait(false);
        _waiting = Create(_name); // the next client has an instance to connect to while this one is served
        return server;
    }

    public override ValueTask DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        _waiting?.Dispose();
        _waiting = null;
        RemoveFile();
        return default;
    }
}
