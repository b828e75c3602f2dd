using SidecarKit.Transports.Grpc.Protobuf;
using SidecarKit.Wire;

namespace SidecarKit.Transports.Grpc.Marshalling;

/// <summary>
/// One message of the request stream of a method that takes a stream (gRPC client or bidirectional streaming). The
/// request message is the method's params message with one more field, the streamed parameter's (its name and field
/// number, <c>optional</c> so that presence is explicit): the first message carries the other parameters, and every
/// message that has the item field carries one item. SidecarKit's client sends the parameters alone first, then one
/// message per item; a client in another language may put the first item in the first message.
/// </summary>
/// <typeparam name="TArgs">The method's generated args struct.</typeparam>
/// <typeparam name="TItem">The streamed parameter's item type.</typeparam>
public sealed class GrpcInputMessage<TArgs, TItem> where TArgs : struct, IWireArgs<TArgs>
{
    private readonly TArgs _args;
    private readonly byte[]? _parameters;

    private GrpcInputMessage(bool hasArgs, TArgs args, byte[]? parameters, bool hasItem, TItem item)
    {
        HasArgs = hasArgs;
        _args = args;
        _parameters = parameters;
        HasItem = hasItem;
        Item = item;
    }

    /// <summary>A message with the parameters and no item (the first one SidecarKit sends).</summary>
    public static GrpcInputMessage<TArgs, TItem> ForArgs(TArgs args) => new(true, args, null, false, default!);

    /// <summary>A message with one item and no parameters.</summary>
    public static GrpcInputMessage<TArgs, TItem> ForItem(TItem item) => new(false, default, null, true, item);

    /// <summary>A received message: its item, if it has one, and its other fields' bytes (kept only when there are any).</summary>
    internal static GrpcInputMessage<TArgs, TItem> Received(byte[]? parameters, bool hasItem, TItem item) => new(false, default, parameters, hasItem, item);

    /// <summary>Whether this message carries parameters to write (a message being sent).</summary>
    public bool HasArgs { get; }

    /// <summary>Whether this message carries an item.</summary>
    public bool HasItem { get; }

    /// <summary>The item, when <see cref="HasItem"/>.</summary>
    public TItem Item { get; }

    /// <summary>The parameters to write (a message being sent).</summary>
    internal TArgs Args => _args;

    /// <summary>
    /// The parameters, read from this message (the first of the stream): decoded only here, once, so that the item
    /// messages after it cost no parameter decoding (nor a complaint about the parameters they leave out).
    /// </summary>
    public TArgs ReadArgs() => HasArgs ? _args : ProtobufReader.ReadArgs<TArgs>(_parameters ?? []);
}
