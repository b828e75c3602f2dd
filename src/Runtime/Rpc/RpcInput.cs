using SidecarKit.Wire;

namespace SidecarKit.Rpc;

/// <summary>
/// The items a caller streams to a method that takes an <see cref="IAsyncEnumerable{T}"/> parameter (client streaming,
/// and bidirectional streaming when the result is a stream too). It travels with the call in
/// <see cref="RpcCallOptions.Input"/>, so the channels that wrap others (a supervisor, a process binding) pass it on
/// untouched and only the transport that sends the call enumerates it, once.
/// </summary>
public abstract class RpcInput
{
    private int _taken;

    private protected RpcInput()
    {
    }

    /// <summary>Hands the items' type and codec to <paramref name="visitor"/>, so a transport sends them typed, with no reflection.</summary>
    public abstract T Accept<T>(IRpcInputVisitor<T> visitor);

    /// <summary>
    /// Claims the items for one send. The items are a stream the caller produces: they cannot be sent twice (a retry
    /// would send what is left of them), so a second claim fails.
    /// </summary>
    /// <exception cref="InvalidOperationException">The items were already sent.</exception>
    public void Claim(MethodDescriptor method)
    {
        if (Interlocked.Exchange(ref _taken, 1) != 0)
            throw new InvalidOperationException($"The input stream of '{method.WireName}' was already sent; call the method again with a new stream.");
    }
}

/// <summary>The items of type <typeparamref name="TItem"/> a caller streams, written with <typeparamref name="TCodec"/>.</summary>
public sealed class RpcInput<TItem, TCodec> : RpcInput
    where TCodec : IWireCodec<TItem>
{
    /// <summary>Wraps the caller's items.</summary>
    public RpcInput(IAsyncEnumerable<TItem> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        Items = items;
    }

    /// <summary>The caller's items, enumerated once by the transport that sends them.</summary>
    public IAsyncEnumerable<TItem> Items { get; }

    /// <inheritdoc />
    public override T Accept<T>(IRpcInputVisitor<T> visitor) => visitor.Visit(this);
}

/// <summary>Receives an <see cref="RpcInput"/>'s item type and codec as generic arguments (<see cref="RpcInput.Accept{T}"/>).</summary>
/// <typeparam name="T">What visiting gives the transport.</typeparam>
public interface IRpcInputVisitor<out T>
{
    /// <summary>Visits the input.</summary>
    T Visit<TItem, TCodec>(RpcInput<TItem, TCodec> input) where TCodec : IWireCodec<TItem>;
}
