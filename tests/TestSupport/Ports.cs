using System.Net;
using System.Net.Sockets;

namespace SidecarKit.Tests.Support;

/// <summary>Loopback TCP ports for the tests' servers and probes.</summary>
public static class Ports
{
    /// <summary>A loopback port that nothing listens on: free a moment ago (the OS chose it), so a server may take it, or a probe find it closed.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
