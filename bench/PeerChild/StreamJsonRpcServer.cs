using System.Net.Sockets;
using StreamJsonRpc;

namespace SidecarKit.Benchmarks.Peers;

/// <summary>demo.add served by StreamJsonRpc, the way its documentation sets up a server over a stream.</summary>
internal static class StreamJsonRpcServer
{
    /// <summary>Serves on stdin/stdout until the parent closes stdin.</summary>
    public static async Task ServeStdioAsync(PeerFormat format)
    {
        using Stream input = Console.OpenStandardInput();
        using Stream output = Console.OpenStandardOutput();
        await ServeAsync(StreamJsonRpcWire.CreateHandler(format, output, input));
    }

    /// <summary>Listens on <paramref name="path"/>, serves the first connection until it closes or stdin ends.</summary>
    public static async Task ServeUnixSocketAsync(PeerFormat format, string path)
    {
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        Console.Error.WriteLine("listening"); // the client connects after this line
        using Socket client = await listener.AcceptAsync();
        await using var stream = new NetworkStream(client, ownsSocket: false);
        Task served = ServeAsync(StreamJsonRpcWire.CreateHandler(format, stream, stream));
        await Task.WhenAny(served, StandardInputEnd.WaitAsync());   // the orphan guard: the parent holds our stdin open while it runs
    }

    private static async Task ServeAsync(IJsonRpcMessageHandler handler)
    {
        using var rpc = new JsonRpc(handler);
        rpc.AddLocalRpcTarget<IPeerDemo>(new PeerDemoService(), null);
        rpc.StartListening();
        try { await rpc.Completion; }
        catch (Exception e) when (e is ConnectionLostException or IOException or ObjectDisposedException) { } // the parent went away
    }

    /// <summary>The server's implementation, the same arithmetic as the demo sidecar's.</summary>
    private sealed class PeerDemoService : IPeerDemo
    {
        public Task<int> AddAsync(int a, int b, CancellationToken cancellationToken) => Task.FromResult(checked(a + b));
    }
}
