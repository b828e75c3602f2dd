using System.Net.Sockets;

namespace SidecarKit.Tests.Support;

/// <summary>Socket files as a killed process leaves them: bound once, nobody accepting on them any more.</summary>
public static class StaleSocket
{
    /// <summary>
    /// Creates a socket file at <paramref name="path"/> that nothing listens on. .NET removes the file of a socket it
    /// bound when the socket is disposed, so it is bound under another name and renamed before.
    /// </summary>
    public static void Create(string path)
    {
        string bound = path + ".binding";
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(bound));
        File.Move(bound, path);
    }
}
