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
                case 1: item = reader.TryReadNull() ? default! : TCodec.Read(ref reader); hasItem = true; break;
                default: reader.Skip(); break;
            }
        }
        if (!hasItem) throw WireFormatException.MissingMember(m.TypeName, "item");
        return new(id, item);
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
