using System.Buffers;
using System.Text.Json;
using MessagePack;
using SidecarKit.Rpc;
using SidecarKit.Rpc.Framing;
using SidecarKit.Wire;

namespace SidecarKit.Transports.MessagePack;

/// <summary>
/// MessagePack-RPC: a plain stream of MessagePack objects (no length prefix), each one of
/// <c>[0, msgid, method, params]</c> (request), <c>[1, msgid, error, result]</c> (response) or
/// <c>[2, method, params]</c> (notification); params are a positional array, errors are maps
/// <c>{code, message, data}</c>. Create one per connection.
/// </summary>
/// <remarks>
/// A valid object with an invalid envelope is answered with -32600 and the stream goes on. Bytes that are not
/// MessagePack, or a message over the size or depth limit, close the connection: without a length prefix the stream
/// cannot be resynchronised.
/// </remarks>
public sealed class MessagePackRpcProtocol(MessagePackOptions? options = null) : RpcProtocol
{
    private const int Request = 0, Response = 1, Notification = 2;
    private readonly MessagePackOptions _options = options ?? new MessagePackOptions();
    private readonly bool _objectsAsArrays = options?.ObjectLayout == MessagePackObjectLayout.Array;
    private readonly MethodNameCache _methodNames = new();
    // Where one message ends; writing needs no framing bytes, so the writers below go straight to the output.
    private readonly MessagePackObjectFraming _framing = new((options ?? new MessagePackOptions()).MaxMessageSize, (options ?? new MessagePackOptions()).MaxDepth);

    /// <summary>The framing that finds where each message ends (its work counter is read by tests).</summary>
    internal MessagePackObjectFraming Framing => _framing;

    /// <inheritdoc />
    public override string Name => "msgpack";

    /// <inheritdoc />
    public override bool TryReadMessage(ref ReadOnlySequence<byte> buffer, bool isCompleted, out RpcMessage message)
    {
        message = default;
        switch (_framing.TryReadFrame(ref buffer, isCompleted, out ReadOnlySequence<byte> frame, out string? error))
        {
            case RpcFrameStatus.Complete:
                ContiguousFrame bytes = ContiguousFrame.Of(in frame);
                message = ParseEnvelope(bytes.Bytes, bytes.Rented);
                return true;
            case RpcFrameStatus.Incomplete:
                return false;
            default:
                throw new InvalidDataException($"MessagePack-RPC: {error}");
        }
    }

    // rented: the array the frame was copied into, if it was (the message's state, returned on release).
    private RpcMessage ParseEnvelope(ReadOnlyMemory<byte> buffer, byte[]? rented)
    {
        var r = new MessagePackReader(buffer);
        RequestId id = RequestId.Null;
        try
        {
            if (r.NextMessagePackType != MessagePackType.Array) return Invalid(rented, RequestId.Null, "a message must be an array.");
            int count = r.ReadArrayHeader();
            if (count == 0 || r.NextMessagePackType != MessagePackType.Integer) return Invalid(rented, RequestId.Null, "a message must start with its type (0, 1 or 2).");
            long type = r.ReadInt64();
            switch (type)
            {
                case Request when count == 4:
                {
                    id = ReadId(ref r);
                    string method = UntrustedInput.ReadString(ref r, _methodNames);
                    (int start, int end) = Value(ref r, out bool isParams);
                    return isParams
                        ? new RpcMessage(RpcMessageKind.Request, id, method, buffer[start..end], state: rented)
                        : Invalid(rented, id, "params must be an array (or a map).");
                }
                case Notification when count == 3:
                {
                    string method = UntrustedInput.ReadString(ref r, _methodNames);
                    (int start, int end) = Value(ref r, out bool isParams);
                    return isParams
                        ? new RpcMessage(RpcMessageKind.Notification, RequestId.None, method, buffer[start..end], state: rented)
                        : Invalid(rented, RequestId.None, "params must be an array (or a map).");
                }
                case Response when count == 4:
                {
                    id = ReadId(ref r);
                    if (r.TryReadNil())
                    {
                        int start = (int)r.Consumed;
                        r.Skip();
                        return new RpcMessage(RpcMessageKind.Result, id, null, buffer[start..(int)r.Consumed], state: rented);
                    }
                    return ParseError(ref r, buffer, rented, id);
                }
                default:
                    return Invalid(rented, type == Response ? RequestId.None : RequestId.Null,
                        $"a message of type {type} must have {(type == Notification ? 3 : 4)} elements; type must be 0, 1 or 2.");
            }
        }
        catch (Exception e) when (UntrustedInput.IsMalformed(e))
        {
            return Invalid(rented, id, UntrustedInput.Malformed(e, "a MessagePack-RPC message").Message);
        }
    }

    private static RequestId ReadId(ref MessagePackReader r)
    {
        if (r.TryReadNil()) return RequestId.Null;
        return r.NextMessagePackType == MessagePackType.String ? RequestId.FromString(UntrustedInput.ReadString(ref r)) : RequestId.FromNumber(r.ReadInt64());
    }

    // The bounds of the next value; isParams says whether it is an array or a map.
    private static (int Start, int End) Value(ref MessagePackReader r, out bool isParams)
    {
        isParams = r.NextMessagePackType is MessagePackType.Array or MessagePackType.Map;
        int start = (int)r.Consumed;
        r.Skip();
        return (start, (int)r.Consumed);
    }

    private static RpcMessage ParseError(ref MessagePackReader r, ReadOnlyMemory<byte> buffer, byte[]? rented, RequestId id)
    {
        // Ours are maps {code, message, data}; other implementations send a string or anything else: keep what we can.
        int code = RpcErrorCodes.InternalError;
        string message = "error";
        int dataStart = 0, dataEnd = 0;
        if (r.NextMessagePackType == MessagePackType.Map)
        {
            int entries = r.ReadMapHeader();
            for (int i = 0; i < entries; i++)
            {
                string key = r.NextMessagePackType == MessagePackType.String ? UntrustedInput.ReadString(ref r) : "";
                switch (key)
                {
                    case "code": code = checked((int)r.ReadInt64()); break;
                    case "message": message = UntrustedInput.ReadString(ref r); break;
                    case "data": (dataStart, dataEnd) = Value(ref r, out _); break;
                    default: r.Skip(); break;
                }
            }
        }
        else if (r.NextMessagePackType == MessagePackType.String)
        {
            message = UntrustedInput.ReadString(ref r);
        }
        else
        {
            (dataStart, dataEnd) = Value(ref r, out _);
        }
        r.Skip(); // result
        return new RpcMessage(RpcMessageKind.Error, id, null, buffer[dataStart..dataEnd], code, message, rented);
    }

    private static RpcMessage Invalid(byte[]? rented, RequestId id, string reason)
        => new(RpcMessageKind.Invalid, id, null, default, RpcErrorCodes.InvalidRequest, "Invalid Request: " + reason, rented);

    /// <inheritdoc />
    public override void Release(in RpcMessage message) => ContiguousFrame.Return(in message);

    /// <inheritdoc />
    public override TArgs ReadArgs<TArgs>(in RpcMessage message)
    {
        var reader = new MessagePackWireReader(message.Payload);
        return TArgs.Read(ref reader);
    }

    /// <inheritdoc />
    public override string RpcSystem => "msgpack-rpc";

    /// <inheritdoc />
    /// <remarks>The context is a map <c>{"_meta": {"traceparent": …, "tracestate": …}}</c> as the last element of the params array.</remarks>
    public override Diagnostics.RpcTraceContext ReadTraceContext(in RpcMessage message)
    {
        try
        {
            var reader = new MessagePackReader(message.Payload);
            if (reader.NextMessagePackType != MessagePackType.Array) return default;
            int count = reader.ReadArrayHeader();
            if (count == 0) return default;
            for (int i = 0; i < count - 1; i++) reader.Skip();
            if (reader.NextMessagePackType != MessagePackType.Map || reader.ReadMapHeader() != 1) return default;
            if (reader.NextMessagePackType != MessagePackType.String || reader.ReadString() != Diagnostics.RpcTraceContext.MetaMember) return default;
            if (reader.NextMessagePackType != MessagePackType.Map) return default;
            int members = reader.ReadMapHeader();
            string? traceParent = null, traceState = null;
            for (int i = 0; i < members; i++)
            {
                string? key = reader.NextMessagePackType == MessagePackType.String ? reader.ReadString() : null;
                if (key is null) reader.Skip();
                if (reader.NextMessagePackType == MessagePackType.String && key == "traceparent") traceParent = reader.ReadString();
                else if (reader.NextMessagePackType == MessagePackType.String && key == "tracestate") traceState = reader.ReadString();
                else reader.Skip();
            }
            return new(traceParent, traceState);
        }
        catch (MessagePackSerializationException) { return default; } // a malformed context is none; the params are read on their own
    }

    /// <inheritdoc />
    public override T ReadResult<T, TCodec>(in RpcMessage message)
    {
        var reader = new MessagePackWireReader(message.Payload);
        return reader.TryReadNull() ? NullResult<T>() : TCodec.Read(ref reader);
    }

    /// <inheritdoc />
    public override RpcErrorData? ReadErrorData(in RpcMessage message)
        // One value, as the envelope's reader found it; kept as MessagePack (binary and extensions survive).
        => message.Payload.IsEmpty ? null : MessagePackErrorData.Received(message.Payload.ToArray());

    private static void WriteId(ref MessagePackWriter w, RequestId id)
    {
        switch (id.Kind)
        {
            case RequestIdKind.Number: w.Write(id.Number); break;
            case RequestIdKind.String or RequestIdKind.RawNumber: w.Write(id.Text!); break;
            default: w.WriteNil(); break;
        }
    }

    /// <inheritdoc />
    public override void WriteRequest<TArgs>(IBufferWriter<byte> output, RequestId id, string method, in TArgs args, Diagnostics.RpcTraceContext trace = default)
    {
        var writer = new MessagePackWireWriter(output, _objectsAsArrays, trace);
        ref MessagePackWriter w = ref writer.Writer;
        if (id.IsPresent)
        {
            w.WriteArrayHeader(4);
            w.Write(Request);
            WriteId(ref w, id);
        }
        else
        {
            w.WriteArrayHeader(3);
            w.Write(Notification);
        }
        w.Write(method);
        args.Write(ref writer);
        writer.Flush();
    }

    /// <inheritdoc />
    public override void WriteResult<T, TCodec>(IBufferWriter<byte> output, RequestId id, T value)
    {
        var writer = new MessagePackWireWriter(output, objectsAsArrays: _objectsAsArrays);
        ref MessagePackWriter w = ref writer.Writer;
        w.WriteArrayHeader(4);
        w.Write(Response);
        WriteId(ref w, id);
        w.WriteNil();
        if (value is null) w.WriteNil();
        else TCodec.Write(ref writer, value);
        writer.Flush();
    }

    /// <inheritdoc />
    public override void WriteError(IBufferWriter<byte> output, RequestId id, int code, string message, RpcErrorData? data)
    {
        // Decided before the first byte is written: data of another format (JSON from an implementation or the engine)
        // is converted here, once; data with no MessagePack form is left out and the error still goes.
        JsonElement? converted = null;
        if (data is not null && data.Format != RpcDataFormat.MessagePack)
        {
            try { converted = data.ToJson(); }
            catch (InvalidDataException) { data = null; }
        }
        var wire = new MessagePackWireWriter(output);
        ref MessagePackWriter w = ref wire.Writer;
        w.WriteArrayHeader(4);
        w.Write(Response);
        WriteId(ref w, id);
        w.WriteMapHeader(data is null ? 2 : 3);
        w.WriteString("code"u8);
        w.Write(code);
        w.WriteString("message"u8);
        w.Write(message);
        if (data is not null)
        {
            w.WriteString("data"u8);
            if (converted is { } json) JsonElementCodec.Write(ref wire, json);
            else w.WriteRaw(data.Payload.Span); // one value, checked when it was made (FromMessagePack) or read
        }
        w.WriteNil();
        wire.Flush();
    }
}
