using SidecarKit.Wire;

namespace SidecarKit.Rpc;

/// <summary>The wire names of the messages the call engine itself sends and understands.</summary>
public static class ProtocolMethods
{
    /// <summary>Cancels a request: params <c>{ "id": … }</c>.</summary>
    public const string CancelRequest = "$/cancelRequest";
    /// <summary>One item of a streamed result: params <c>{ "id": …, "item": … }</c>.</summary>
    public const string StreamItem = "$/stream.item";
    /// <summary>Grants a stream's sender more items: params <c>{ "id": …, "credit": n }</c>.</summary>
    public const string StreamCredit = "$/stream.credit";
    /// <summary>A progress report of a request, callee to caller: params <c>{ "id": …, "item": … }</c> (the layout of <see cref="StreamItem"/>).</summary>
    public const string Progress = "$/progress";
    /// <summary>One item of a streamed parameter, caller to callee: params <c>{ "id": …, "item": … }</c> (the same layout as <see cref="StreamItem"/>).</summary>
    public const string InputItem = "$/input.item";
    /// <summary>
    /// The end of a streamed parameter, caller to callee: params <c>{ "id": …, "error": null }</c>, or <c>{ "id": …,
    /// "error": { "code": …, "message": … } }</c> when the caller's stream failed (an absent <c>error</c> is a clean end too).
    /// </summary>
    public const string InputEnd = "$/input.end";
    /// <summary>Grants a streamed parameter's sender (the caller) more items: params <c>{ "id": …, "credit": n }</c>.</summary>
    public const string InputCredit = "$/input.credit";
    /// <summary>
    /// The items of a streamed parameter the caller may send before the callee grants credit with <see cref="InputCredit"/>:
    /// fixed by the protocol (64), so that both sides agree without a negotiation.
    /// </summary>
    public const int InputWindow = 64;
    /// <summary>
    /// The first message on a socket or pipe connection to a sidecar that has a token: params <c>[{ "token": … }]</c>.
    /// Anything else first, or a wrong token, closes the connection before any method runs.
    /// </summary>
    public const string Hello = "$/hello";
}

/// <summary>Writes and reads a <see cref="RequestId"/> as a value (inside params).</summary>
internal sealed class RequestIdCodec : IWireCodec<RequestId>
{
    public static void Write<TWriter>(ref TWriter writer, RequestId value) where TWriter : IWireWriter, allows ref struct
    {
        switch (value.Kind)
        {
            case RequestIdKind.Number: writer.WriteInt64(value.Number); break;
            case RequestIdKind.String: writer.WriteString(value.Text!); break;
            case RequestIdKind.RawNumber: writer.WriteDouble(double.Parse(value.Text!, System.Globalization.CultureInfo.InvariantCulture)); break;
            default: writer.WriteNull(); break;
        }
    }

    public static RequestId Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct
        => reader.TokenKind switch
        {
            WireTokenKind.Number => RequestId.FromNumber(reader.ReadInt64()),
            WireTokenKind.String => RequestId.FromString(reader.ReadString()),
            WireTokenKind.Null => RequestId.Null,
            _ => throw new WireFormatException("a request id must be a number or a string."),
        };
}

/// <summary>Params of <c>$/cancelRequest</c>.</summary>
internal readonly struct CancelParams(RequestId id) : IWireArgs<CancelParams>
{
    private static readonly WireMembers s_members = new(ProtocolMethods.CancelRequest, "id");
    public RequestId Id { get; } = id;

    public void Write<TWriter>(ref TWriter writer) where TWriter : IWireWriter, allows ref struct
    {
        writer.WriteStartObject(s_members);
        writer.WriteMember(s_members, 0);
        RequestIdCodec.Write(ref writer, Id);
        writer.WriteEndObject();
    }

    public static CancelParams Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct
        => new(StreamRefParams.ReadId(ref reader, s_members));
}

/// <summary>Params of <c>$/stream.credit</c>.</summary>
internal readonly struct CreditParams(RequestId id, int credit) : IWireArgs<CreditParams>
{
    private static readonly WireMembers s_members = new(ProtocolMethods.StreamCredit, "id", "credit");
    public RequestId Id { get; } = id;
    public int Credit { get; } = credit;

    public void Write<TWriter>(ref TWriter writer) where TWriter : IWireWriter, allows ref struct
    {
        writer.WriteStartObject(s_members);
        writer.WriteMember(s_members, 0);
        RequestIdCodec.Write(ref writer, Id);
        writer.WriteMember(s_members, 1);
        writer.WriteInt64(Credit);
        writer.WriteEndObject();
    }

    public static CreditParams Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct
    {
        RequestId id = default;
        int credit = 0;
        reader.ReadStartObject();
        int index = -1;
        while (reader.ReadNextMember(s_members, ref index))
        {
            switch (index)
            {
                case 0: id = RequestIdCodec.Read(ref reader); break;
                case 1: credit = WireConvert.ToInt32(reader.ReadInt64()); break;
                default: reader.Skip(); break;
            }
        }
        if (!id.IsPresent) throw WireFormatException.MissingMember(s_members.TypeName, "id");
        if (credit <= 0) throw new WireFormatException("credit must be a positive integer.");
        return new CreditParams(id, credit);
    }
}

/// <summary>Reads only the <c>id</c> of a <c>$/stream.item</c>, to find the stream it belongs to.</summary>
internal readonly struct StreamRefParams(RequestId id) : IWireArgs<StreamRefParams>
{
    internal static readonly WireMembers Members = new(ProtocolMethods.StreamItem, "id", "item");
    public RequestId Id { get; } = id;

    public void Write<TWriter>(ref TWriter writer) where TWriter : IWireWriter, allows ref struct => throw new NotSupportedException();

    public static StreamRefParams Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct
        => new(ReadId(ref reader, Members));

    internal static RequestId ReadId<TReader>(ref TReader reader, WireMembers members) where TReader : IWireReader, allows ref struct
    {
        RequestId id = default;
        reader.ReadStartObject();
        int index = -1;
        while (reader.ReadNextMember(members, ref index))
        {
            if (index == 0) id = RequestIdCodec.Read(ref reader);
            else reader.Skip();
        }
        return id.IsPresent ? id : throw WireFormatException.MissingMember(members.TypeName, "id");
    }
}

/// <summary>Params of <c>$/stream.item</c>.</summary>
internal readonly struct StreamItemParams<T, TCodec>(RequestId id, T item) : IWireArgs<StreamItemParams<T, TCodec>>
    where TCodec : IWireCodec<T>
{
    public RequestId Id { get; } = id;
    public T Item { get; } = item;

    public void Write<TWriter>(ref TWriter writer) where TWriter : IWireWriter, allows ref struct
    {
        WireMembers m = StreamRefParams.Members;
        writer.WriteStartObject(m);
        writer.WriteMember(m, 0);
        RequestIdCodec.Write(ref writer, Id);
        writer.WriteMember(m, 1);
        if (Item is null) writer.WriteNull(); else TCodec.Write(ref writer, Item);
        writer.WriteEndObject();
    }

    public static StreamItemParams<T, TCodec> Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct
    {
        WireMembers m = StreamRefParams.Members;
        RequestId id = default;
        T item = default!;
        bool hasItem = false;
        reader.ReadStartObject();
        int index = -1;
        while (reader.ReadNextMember(m, ref index))
        {
            switch (index)
            {
                case 0: id = RequestIdCodec.Read(ref reader); break;
                case 1:
                    // A null item is one only where the item type takes null (it must not silently become 0 or false).
                    item = !reader.TryReadNull() ? TCodec.Read(ref reader)
                        : default(T) is null ? default! : throw new WireFormatException($"the item is null, and {typeof(T).Name} cannot be null.");
                    hasItem = true;
                    break;
                default: reader.Skip(); break;
            }
        }
        if (!hasItem) throw WireFormatException.MissingMember(m.TypeName, "item");
        return new(id, item);
    }
}

/// <summary>Params of <c>$/input.end</c>: the id, and the error when the caller's stream failed.</summary>
internal readonly struct InputEndParams(RequestId id, int errorCode, string? errorMessage) : IWireArgs<InputEndParams>
{
    private static readonly WireMembers s_members = new(ProtocolMethods.InputEnd, "id", "error");
    private static readonly WireMembers s_error = new(ProtocolMethods.InputEnd + " error", "code", "message");
    public RequestId Id { get; } = id;
    /// <summary>The error's code; meaningful only when <see cref="ErrorMessage"/> is set.</summary>
    public int ErrorCode { get; } = errorCode;
    /// <summary>Why the caller's stream failed; <see langword="null"/> for a clean end.</summary>
    public string? ErrorMessage { get; } = errorMessage;

    public void Write<TWriter>(ref TWriter writer) where TWriter : IWireWriter, allows ref struct
    {
        writer.WriteStartObject(s_members);
        writer.WriteMember(s_members, 0);
        RequestIdCodec.Write(ref writer, Id);
        // Every member is written (null for a clean end): MessagePack-RPC writes params by position, counted up front.
        writer.WriteMember(s_members, 1);
        if (ErrorMessage is null)
        {
            writer.WriteNull();
        }
        else
        {
            writer.WriteStartObject(s_error);
            writer.WriteMember(s_error, 0);
            writer.WriteInt64(ErrorCode);
            writer.WriteMember(s_error, 1);
            writer.WriteString(ErrorMessage);
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    }

    public static InputEndParams Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct
    {
        RequestId id = default;
        int code = RpcErrorCodes.InternalError;
        string? message = null;
        reader.ReadStartObject();
        int index = -1;
        while (reader.ReadNextMember(s_members, ref index))
        {
            if (index == 0) id = RequestIdCodec.Read(ref reader);
            else if (index != 1) reader.Skip();
            else if (!reader.TryReadNull())
            {
                message = "";
                reader.ReadStartObject();
                int inner = -1;
                while (reader.ReadNextMember(s_error, ref inner))
                {
                    if (inner == 0) code = WireConvert.ToInt32(reader.ReadInt64());
                    else if (inner == 1) message = reader.TryReadNull() ? "" : reader.ReadString();
                    else reader.Skip();
                }
            }
        }
        if (!id.IsPresent) throw WireFormatException.MissingMember(s_members.TypeName, "id");
        return new InputEndParams(id, code, message);
    }
}

/// <summary>Params of <c>$/hello</c>: one object, <c>[{ "token": … }]</c> by position (<c>{ "client": { "token": … } }</c> by name).</summary>
internal readonly struct HelloParams(string? token) : IWireArgs<HelloParams>
{
    private static readonly WireMembers s_members = new(ProtocolMethods.Hello, "client");
    private static readonly WireMembers s_client = new(ProtocolMethods.Hello + " client", "token");
    public string? Token { get; } = token;

    public void Write<TWriter>(ref TWriter writer) where TWriter : IWireWriter, allows ref struct
    {
        writer.WriteStartObject(s_members);
        writer.WriteMember(s_members, 0);
        writer.WriteStartObject(s_client);
        writer.WriteMember(s_client, 0);
        writer.WriteString(Token ?? "");
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    public static HelloParams Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct
    {
        string? token = null;
        reader.ReadStartObject();
        int index = -1;
        while (reader.ReadNextMember(s_members, ref index))
        {
            if (index != 0) { reader.Skip(); continue; }
            reader.ReadStartObject();
            int inner = -1;
            while (reader.ReadNextMember(s_client, ref inner))
            {
                if (inner == 0) token = reader.ReadString();
                else reader.Skip();
            }
        }
        return new HelloParams(token);
    }
}
