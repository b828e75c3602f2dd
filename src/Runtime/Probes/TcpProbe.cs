using System.Net;
using System.Net.Sockets;

namespace SidecarKit.Probes;

/// <summary><see cref="SidecarProbe.Tcp"/>: a TCP connect that succeeds, closed at once.</summary>
internal sealed class TcpProbe : SidecarProbe
{
    private readonly string _host;
    private readonly int _port;

    public TcpProbe(string host, int port)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, IPEndPoint.MinPort + 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        _host = host;
        _port = port;
        // An IPv6 literal is written in brackets, the way a URL writes it.
        string shown = IPAddress.TryParse(host, out IPAddress? ip) && ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{host}]" : host;
        Description = $"TCP {shown}:{port} accepts";
    }

    public override string Description { get; }

    public override async ValueTask<SidecarProbeResult> CheckAsync(SidecarProbeContext context, CancellationToken cancellationToken)
    {
        // A dual-mode socket reaches an IPv4 or IPv6 address, and every address of a host name in turn.
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            EndPoint endPoint = IPAddress.TryParse(_host, out IPAddress? ip) ? new IPEndPoint(ip, _port) : new DnsEndPoint(_host, _port);
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            return SidecarProbeResult.Pass;
        }
        catch (Exception e) when (IsFailure(e, cancellationToken))
        {
            return SidecarProbeResult.Fail(e is SocketException s ? $"{s.Message} ({s.SocketErrorCode})" : e.Message);
        }
    }
}
