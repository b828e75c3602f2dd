using System.Buffers;
using System.Text.Json;
using SidecarKit.Rpc;
using SidecarKit.Wire;

namespace SidecarKit.Transports.MessagePack;

/// <summary>
/// Error data in MessagePack: what a MessagePack-RPC error's <c>data</c> member carried, byte for byte (binary and
/// extension values included), or what an implementation sends as MessagePack. <see cref="RpcErrorData.ToJson"/>
/// converts it (bytes as base64, extensions as <c>{extension, data}</c>).
/// </summary>
public sealed class MessagePackErrorData : RpcErrorData
{
    private MessagePackErrorData(ReadOnlyMemory<byte> msgpack) : base(msgpack) { }

    /// <summary>Data to send with an error (or received), as one MessagePack value.</summary>
    /// <param name="msgpack">One complete MessagePack value; owned by the returned instance.</param>
    /// <exception cref="ArgumentException"><paramref name="msgpack"/> is not one complete MessagePack value.</exception>
    public static MessagePackErrorData FromMessagePack(ReadOnlyMemory<byte> msgpack)
    {
        if (!IsOneValue(msgpack))
            throw new ArgumentException("The error data must be one complete MessagePack value.", nameof(msgpack));
        return new MessagePackErrorData(msgpack);
    }

    /// <summary>A payload the MessagePack-RPC reader already took apart as one value.</summary>
    internal static MessagePackErrorData Received(ReadOnlyMemory<byte> msgpack) => new(msgpack);

    /// <inheritdoc />
    public override RpcDataFormat Format => RpcDataFormat.MessagePack;

    /// <inheritdoc />
    public override JsonElement ToJson()
    {
        try
        {
            return MessagePackJson.ToJson(new ReadOnlySequence<byte>(Payload));
        }
        catch (WireFormatException e)
        {
            throw new InvalidDataException($"The error data has no JSON form: {e.Message}", e);
        }
    }

    private static bool IsOneValue(ReadOnlyMemory<byte> msgpack)
    {
        try
        {
            var reader = new global::MessagePack.MessagePackReader(msgpack);
            reader.Skip();
            return reader.End;
        }
        catch (Exception e) when (UntrustedInput.IsMalformed(e))
        {
            return false;
        }
    }
}
