using System.Net.Sockets;

namespace SidecarKit.Probes;

/// <summary><see cref="SidecarProbe.UnixSocket"/>: a connection to a Unix domain socket that is accepted, closed at once.</summary>
internal sealed class UnixSocketProbe : SidecarProbe
{
    private readonly string _path;
    private readonly UnixDomainSocketEndPoint _endPoint;

    public UnixSocketProbe(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            _endPoint = new UnixDomainSocketEndPoint(path);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"'{path}' cannot be a Unix socket's address: {e.Message}", nameof(path), e);
        }
        _path = path;
        Description = $"Unix socket {path} accepts";
    }

    public override string Description { get; }

    public override async ValueTask<SidecarProbeResult> CheckAsync(SidecarProbeContext context, CancellationToken cancellationToken)
    {
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(_endPoint, cancellationToken).ConfigureAwait(false);
            return SidecarProbeResult.Pass;
        }
        catch (Exception e) when (IsFailure(e, cancellationToken))
        {
            // Linux reports a missing path as EADDRNOTAVAIL ("Cannot assign requested address"): say what it means.
            if (e is SocketException && _path[0] != '\0' && !File.Exists(_path)) return SidecarProbeResult.Fail($"{_path} does not exist");
            return SidecarProbeResult.Fail(e is SocketException s ? $"{s.Message} ({s.SocketErrorCode})" : e.Message);
        }
    }
}
