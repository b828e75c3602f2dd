using SidecarKit.Rpc;
using SidecarKit.Tests.Support;

namespace SidecarKit.Transports.JsonLines.Tests;

/// <summary>
/// A contract extending another contract, a plain interface and IAsyncDisposable, through the generated proxy and
/// dispatcher over a JSON lines connection.
/// </summary>
public class ContractInheritanceTests
{
    [Fact]
    public async Task Inherited_and_own_methods_are_served_under_the_derived_contracts_name_and_disposing_the_proxy_sends_nothing()
    {
        var service = new AdvancedOps();
        var handlers = new RpcHandlerTable().AddContract<IAdvancedOps>(service);
        await using ConnectionPair pair = ConnectionPair.Create(handlers);

        // Nothing but the contract's four methods is a handler: DisposeAsync is not a remote method.
        Assert.Equal(["advanced.ping", "advanced.count", "advanced.note", "advanced.add"],
            IAdvancedOpsDescriptor().Methods.Select(m => m.WireName));

        IAdvancedOps advanced = pair.Client.GetClient<IAdvancedOps>();
        await using (advanced)
        {
            Assert.Equal("pong: hi", await advanced.PingAsync("hi"));          // inherited from the contract IBasicOps
            Assert.Equal(5, await advanced.AddAsync(2, 3));                     // its own
            var items = new List<int>();
            await foreach (int i in advanced.CountAsync(4)) items.Add(i);       // an inherited stream
            Assert.Equal([0, 1, 2, 3], items);
            advanced.Note("one");                                               // inherited from the plain INotes
            IBasicOps asBasic = advanced;                                       // called through the base interface
            Assert.Equal("pong: base", await asBasic.PingAsync("base"));
        }

        // Disposed: it released nothing (the connection owns the channel) and told the sidecar nothing.
        Assert.Equal(7, await advanced.AddAsync(3, 4));
        Assert.Equal(0, service.Disposed);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (service.Notes.Count == 0 && DateTime.UtcNow < deadline) await Task.Delay(10);
        Assert.Equal(["one"], service.Notes);
    }

    [Fact]
    public async Task The_base_contract_is_served_under_its_own_name_and_is_not_the_derived_one()
    {
        var service = new AdvancedOps();
        await using ConnectionPair pair = ConnectionPair.Create(new RpcHandlerTable().AddContract<IBasicOps>(service));
        IBasicOps basic = pair.Client.GetClient<IBasicOps>();
        Assert.Equal("pong: b", await basic.PingAsync("b"));

        // The derived contract's methods are not served by the base contract's handlers.
        IAdvancedOps advanced = pair.Client.GetClient<IAdvancedOps>();
        var error = await Assert.ThrowsAsync<SidecarRemoteException>(() => advanced.PingAsync("a"));
        Assert.Equal(-32601, error.Code);
    }

    private static ContractDescriptor IAdvancedOpsDescriptor() => D<IAdvancedOps>();

    private static ContractDescriptor D<T>() where T : class, ISidecarContract<T> => T.Descriptor;
}
