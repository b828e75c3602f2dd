using SidecarKit.Rpc;
using SidecarKit.Tests.Support;

namespace SidecarKit.Transports.MessagePack.Tests;

/// <summary>IProgress&lt;T&gt; parameters over a MessagePack-RPC connection (<see cref="ProgressScenarios"/>).</summary>
public class ProgressTests : ProgressScenarios
{
    protected override (IReporting Client, IAsyncDisposable Connection) Connect(Reporting service)
    {
        ConnectionPair pair = ConnectionPair.Create(new RpcHandlerTable().AddContract<IReporting>(service), protocol: () => new MessagePackRpcProtocol());
        return (pair.Client.GetClient<IReporting>(), pair);
    }
}
