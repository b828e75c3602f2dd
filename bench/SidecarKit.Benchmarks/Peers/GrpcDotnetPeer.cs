using System.Diagnostics;
using Grpc.Net.Client;
using SidecarKit.Benchmarks.Peers.Plain;

namespace SidecarKit.Benchmarks.Peers;

/// <summary>
/// The grpc-dotnet peer: <c>PeerChild grpc</c> (a plain Grpc.AspNetCore service, h2c on loopback TCP) and in this
/// process a <see cref="GrpcChannel"/> with its default settings and the protoc-generated <see cref="Demo.DemoClient"/>.
/// </summary>
internal sealed class GrpcDotnetPeer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly GrpcChannel _channel;

    private GrpcDotnetPeer(Process process, string authority)
    {
        _process = process;
        Authority = authority;
        _channel = GrpcChannel.ForAddress("http://" + authority);
        Client = new Demo.DemoClient(_channel);
    }

    /// <summary>host:port the child listens on.</summary>
    public string Authority { get; }

    /// <summary>The generated client.</summary>
    public Demo.DemoClient Client { get; }

    /// <summary>The child's process id (for its CPU time in <c>--peers</c>).</summary>
    public int ProcessId => _process.Id;

    public static async Task<GrpcDotnetPeer> StartAsync()
    {
        Process process = ChildProcess.Start(ChildPaths.PeerChild, redirectOutput: false, redirectError: true, "grpc");
        string line = await ChildProcess.ReadGreetingAsync(process, "listening ").ConfigureAwait(false);
        return new GrpcDotnetPeer(process, line["listening ".Length..]);
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        _process.StandardInput.Close();
        await ChildProcess.WaitForExitAsync(_process).ConfigureAwait(false);
        _process.Dispose();
    }
}
