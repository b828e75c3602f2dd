using System.Diagnostics;
using StreamJsonRpc;

namespace SidecarKit.Benchmarks.Peers;

/// <summary>
/// The StreamJsonRpc peer: <c>PeerChild streamjsonrpc &lt;format&gt;</c> serving demo.add on its stdio pipes or on a Unix
/// socket, and in this process a <see cref="JsonRpc"/> on the other end with StreamJsonRpc's source-generated
/// <see cref="IPeerDemo"/> proxy (EnableStreamJsonRpcInterceptors in the project file: no Reflection.Emit proxy).
/// </summary>
internal sealed class StreamJsonRpcPeer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly JsonRpc _rpc;
    private readonly string? _socketPath;

    private StreamJsonRpcPeer(Process process, IJsonRpcMessageHandler handler, string? socketPath)
    {
        _process = process;
        _socketPath = socketPath;
        _rpc = new JsonRpc(handler);
        Demo = _rpc.Attach<IPeerDemo>();
        _rpc.StartListening();
    }

    /// <summary>The generated client proxy.</summary>
    public IPeerDemo Demo { get; }

    /// <summary>The child's process id (for its CPU time in <c>--peers</c>).</summary>
    public int ProcessId => _process.Id;

    /// <summary>StreamJsonRpc on the child's stdin/stdout, the same kind of pipes as the demo sidecar's.</summary>
    public static StreamJsonRpcPeer StartStdio(PeerFormat format)
    {
        Process process = ChildProcess.Start(ChildPaths.PeerChild, redirectOutput: true, redirectError: false,
            "streamjsonrpc", StreamJsonRpcWire.Word(format));
        return new StreamJsonRpcPeer(process,
            StreamJsonRpcWire.CreateHandler(format, process.StandardInput.BaseStream, process.StandardOutput.BaseStream), null);
    }

    /// <summary>StreamJsonRpc on a Unix socket the child listens on, connected the way <c>RawEchoClient</c> connects.</summary>
    public static async Task<StreamJsonRpcPeer> StartUnixAsync(PeerFormat format)
    {
        string path = Path.Combine(Path.GetTempPath(), $"sjr-{Guid.NewGuid():N}.sock");
        Process process = ChildProcess.Start(ChildPaths.PeerChild, redirectOutput: false, redirectError: true,
            "streamjsonrpc", StreamJsonRpcWire.Word(format), "--unix", path);
        await ChildProcess.ReadGreetingAsync(process, "listening").ConfigureAwait(false);
        var stream = await UnixSocketClient.ConnectAsync(path).ConfigureAwait(false);
        return new StreamJsonRpcPeer(process, StreamJsonRpcWire.CreateHandler(format, stream, stream), path);
    }

    public async ValueTask DisposeAsync()
    {
        _rpc.Dispose(); // closes the handler's streams: the child's stdin (stdio) or the socket
        // The end of stdin stops the socket mode's child. In stdio mode that pipe may already be closed by the line above
        // (StreamJsonRpc closes it on a thread of its own), and closing the writer again would flush to a closed pipe.
        try { _process.StandardInput.Close(); }
        catch (ObjectDisposedException) { }
        await ChildProcess.WaitForExitAsync(_process).ConfigureAwait(false);
        _process.Dispose();
        if (_socketPath is not null) File.Delete(_socketPath);
    }
}
