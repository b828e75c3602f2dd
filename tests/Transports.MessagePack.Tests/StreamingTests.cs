using SidecarKit.Rpc;
using SidecarKit.Tests.Support;

namespace SidecarKit.Transports.MessagePack.Tests;

/// <summary>Client and bidirectional streaming over a MessagePack-RPC connection (<see cref="StreamingScenarios"/>).</summary>
public class StreamingTests : StreamingScenarios
{
    protected override Task<(IStreaming Client, IAsyncDisposable Connection)> ConnectAsync(Streaming service)
    {
        ConnectionPair pair = ConnectionPair.Create(new RpcHandlerTable().AddContract<IStreaming>(service), protocol: () => new MessagePackRpcProtocol());
        return Task.FromResult<(IStreaming, IAsyncDisposable)>((pair.Client.GetClient<IStreaming>(), pair));
    }
}
