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
