using SidecarKit.Wire;

namespace SidecarKit.Rpc;

/// <summary>
/// One incoming call on a transport that gives every call its own stream (gRPC): the handler reads the arguments
/// from it and writes the result, or the items of a streamed result, to it. The transport owns the format, the
/// framing and the status; the handler owns the types, so each side stays generic in what it knows.
/// </summary>
public interface IRpcServerCall
{
    /// <summary>Decodes the call's arguments; throws <see cref="WireFormatException"/> when they do not fit.</summary>
    TArgs ReadArgs<TArgs>() where TArgs : struct, IWireArgs<TArgs>;

    /// <summary>Sends the result of a unary call (<see cref="VoidResult"/> for methods without one).</summary>
    ValueTask WriteResultAsync<TResult, TCodec>(TResult result, CancellationToken cancellationToken) where TCodec : IWireCodec<TResult>;

    /// <summary>Sends one item of a streamed result, waiting while the transport pushes back.</summary>
    ValueTask WriteItemAsync<TItem, TCodec>(TItem item, CancellationToken cancellationToken) where TCodec : IWireCodec<TItem>;
}
