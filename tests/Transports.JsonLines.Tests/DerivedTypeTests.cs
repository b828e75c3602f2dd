using SidecarKit.Rpc;
using SidecarKit.Tests.Support;
using SidecarKit.Wire;

namespace SidecarKit.Transports.JsonLines.Tests;

/// <summary>
/// A derived instance of a type the contract sends, from an assembly the generator did not see (SK0021 catches the
/// others): refused naming it, on either side, never sent as its base with its own members lost.
/// </summary>
public class DerivedTypeTests
{
    private sealed record Dog(string Name, string Breed) : Animal(Name);

    [Fact]
    public async Task A_derived_instance_is_refused_naming_it_rather_than_truncated()
    {
        await using ConnectionPair pair = ConnectionPair.Create(new RpcHandlerTable().AddContract<IOpenTypes>(new OpenTypesService(name => new Dog(name, "collie"))));
        IOpenTypes open = pair.Client.GetClient<IOpenTypes>();
        Assert.Equal(new Animal("Rex"), await open.EchoAsync(new Animal("Rex")));

        // Sent by the caller: the call fails before anything is written.
        var sent = await Assert.ThrowsAsync<WireFormatException>(() => open.EchoAsync(new Dog("Rex", "collie")));
        Assert.Equal("SidecarKit.Tests.Support.Animal: an instance of 'Dog', a type derived from it, cannot be sent: SidecarKit.Tests.Support.Animal does not " +
            "declare it with [SidecarDerivedType], so the contract carries the members of SidecarKit.Tests.Support.Animal only, and those of 'Dog' would be lost.", sent.Message);

        // Answered by the server: the caller gets the server's error, which names it.
        var answered = await Assert.ThrowsAsync<SidecarRemoteException>(() => open.AdoptAsync("Lassie"));
        Assert.Contains("an instance of 'Dog', a type derived from it, cannot be sent", answered.Message);
        Assert.Equal(new Animal("Rex"), await open.EchoAsync(new Animal("Rex"))); // and the connection carries on
    }
}
