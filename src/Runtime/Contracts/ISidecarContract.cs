using SidecarKit.Rpc;

namespace SidecarKit;

/// <summary>
/// Implemented by the source generator on every <see cref="SidecarContractAttribute"/> interface. It is how the
/// runtime creates proxies and registers implementations without reflection.
/// </summary>
/// <typeparam name="TSelf">The contract interface itself.</typeparam>
public interface ISidecarContract<TSelf> where TSelf : class
{
    /// <summary>The contract's name, fingerprint, methods and description.</summary>
    static abstract ContractDescriptor Descriptor { get; }

    /// <summary>Creates a client proxy whose calls go over <paramref name="channel"/>.</summary>
    static abstract TSelf CreateProxy(RpcChannel channel);

    /// <summary>Adds a handler for every method of the contract, each forwarding to <paramref name="implementation"/>.</summary>
    static abstract void AddHandlers(RpcHandlerTable table, TSelf implementation);
}
