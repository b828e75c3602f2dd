namespace SidecarKit;

/// <summary>What carries a transport's bytes between the parent and the sidecar.</summary>
public enum SidecarCarrier
{
    /// <summary>The sidecar's stdin and stdout: one private connection, nothing to name or secure.</summary>
    Stdio,

    /// <summary>
    /// A Unix domain socket. The sidecar listens on a fresh socket in a private directory (or on <c>--listen</c>), says
    /// where in the ready payload's <c>listenInfo</c>, and accepts several connections.
    /// </summary>
    UnixSocket,

    /// <summary>
    /// A named pipe (<c>NamedPipeServerStream</c>, current user only; on Linux and macOS .NET makes it a Unix socket in the
    /// temp directory). <c>listenInfo</c> is the pipe's name.
    /// </summary>
    NamedPipe,
}
