namespace SidecarKit.Rpc;

/// <summary>The methods one side of a connection serves, by wire name.</summary>
public sealed class RpcHandlerTable
{
    private readonly Dictionary<string, RpcMethodHandler> _handlers = new(StringComparer.Ordinal);
    private readonly List<ContractDescriptor> _contracts = [];

    /// <summary>The contracts added with <see cref="AddContract{TContract}"/>.</summary>
    public IReadOnlyList<ContractDescriptor> Contracts => _contracts;

    /// <summary>Serves every method of <typeparamref name="TContract"/> with <paramref name="implementation"/>.</summary>
    public RpcHandlerTable AddContract<TContract>(TContract implementation) where TContract : class, ISidecarContract<TContract>
    {
        ArgumentNullException.ThrowIfNull(implementation);
        TContract.AddHandlers(this, implementation);
        _contracts.Add(TContract.Descriptor);
        return this;
    }

    /// <summary>
    /// Serves <typeparamref name="TContract"/> with handlers made elsewhere (around the generated ones, for example an
    /// implementation resolved per call): one for each of its methods, by wire name, and no other.
    /// </summary>
    /// <exception cref="ArgumentException">A method of the contract has no handler, or a handler is not one of its methods.</exception>
    public RpcHandlerTable AddContractHandlers<TContract>(IEnumerable<RpcMethodHandler> handlers) where TContract : class, ISidecarContract<TContract>
    {
        ArgumentNullException.ThrowIfNull(handlers);
        ContractDescriptor descriptor = TContract.Descriptor;
        RpcMethodHandler[] all = [.. handlers];
        var expected = new HashSet<string>(descriptor.Methods.Select(m => m.WireName), StringComparer.Ordinal);
        foreach (RpcMethodHandler handler in all)
            if (!expected.Remove(handler.Method))
                throw new ArgumentException($"'{handler.Method}' is not a method of the contract {descriptor.Name}, or has two handlers.", nameof(handlers));
        if (expected.Count > 0)
            throw new ArgumentException($"The contract {descriptor.Name} has no handler for {string.Join(", ", expected.Order())}.", nameof(handlers));
        foreach (RpcMethodHandler handler in all) Add(handler);
        _contracts.Add(descriptor);
        return this;
    }

    /// <summary>Adds one handler. A method can be served once.</summary>
    public RpcHandlerTable Add(RpcMethodHandler handler)
    {
        if (!_handlers.TryAdd(handler.Method, handler))
            throw new InvalidOperationException($"The method '{handler.Method}' already has a handler.");
        return this;
    }

    /// <summary>Finds the handler of a method.</summary>
    public bool TryGetHandler(string method, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out RpcMethodHandler handler)
        => _handlers.TryGetValue(method, out handler);

    /// <summary>A new table with the same handlers and contracts, to add more to without changing this one.</summary>
    public RpcHandlerTable Clone()
    {
        var copy = new RpcHandlerTable();
        foreach (KeyValuePair<string, RpcMethodHandler> pair in _handlers) copy._handlers.Add(pair.Key, pair.Value);
        copy._contracts.AddRange(_contracts);
        return copy;
    }
}
