using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using SidecarKit.Rpc;
using SidecarKit.Rpc.Framing;
using SidecarKit.Wire;

namespace SidecarKit.Transports.JsonLines;

/// <summary>
/// JSON-RPC 2.0 in UTF-8 JSON (the envelope and the format), on a framing: by default one message per
/// <c>\n</c>-terminated line (<see cref="NewlineFraming"/>), or <c>Content-Length</c> headers
/// (<see cref="ContentLengthFraming"/>). Create one per connection.
/// Batches (a JSON array at the top level) are refused with -32600: send one message at a time instead.
/// </summary>
public sealed class JsonRpcProtocol : RpcProtocol
{
    private static readonly JsonEncodedText s_jsonrpc = JsonEncodedText.Encode("jsonrpc");
    private static readonly JsonEncodedText s_version = JsonEncodedText.Encode("2.0");
    private static readonly JsonEncodedText s_id = JsonEncodedText.Encode("id");
    private static readonly JsonEncodedText s_method = JsonEncodedText.Encode("method");
    private static readonly JsonEncodedText s_params = JsonEncodedText.Encode("params");
    private static readonly JsonEncodedText s_result = JsonEncodedText.Encode("result");
    private static readonly JsonEncodedText s_error = JsonEncodedText.Encode("error");
    private static readonly JsonEncodedText s_code = JsonEncodedText.Encode("code");
    private static readonly JsonEncodedText s_message = JsonEncodedText.Encode("message");
    private static readonly JsonEncodedText s_data = JsonEncodedText.Encode("data");
    private static readonly JsonWriterOptions s_writerOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    private readonly JsonLinesOptions _options;
    private readonly RpcFraming _framing;
    private readonly MethodNameCache _methodNames = new();
    private Utf8JsonWriter? _writer;

    /// <summary>Creates the protocol for one connection, one message per line (<see cref="NewlineFraming"/>).</summary>
    /// <param name="options">Limits; <see cref="JsonLinesOptions.MaxMessageSize"/> is the longest line.</param>
    public JsonRpcProtocol(JsonLinesOptions? options = null)
        : this(new NewlineFraming((options ?? new JsonLinesOptions()).MaxMessageSize), options) { }

    /// <summary>
    /// Creates the protocol for one connection on <paramref name="framing"/>: for example
    /// <c>new JsonRpcProtocol(new ContentLengthFraming())</c> speaks JSON-RPC with <c>Content-Length</c> headers, as LSP,
    /// vscode-jsonrpc and StreamJsonRpc do by default. The framing is per connection too, and enforces its own size
    /// limit; <see cref="JsonLinesOptions.MaxDepth"/> still applies.
    /// </summary>
    public JsonRpcProtocol(RpcFraming framing, JsonLinesOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(framing);
        _framing = framing;
        _options = options ?? new JsonLinesOptions();
    }

    /// <summary>The framing this protocol reads and writes messages with.</summary>
    public RpcFraming Framing => _framing;

    /// <inheritdoc />
    /// <remarks>The <c>--transport</c> name of the composition: <c>jsonl</c> on newline framing, <c>jsonrpc</c> on <c>Content-Length</c> headers.</remarks>
    public override string Name => _framing switch
    {
        NewlineFraming => JsonLines.TransportName,
        ContentLengthFraming => JsonLines.ContentLengthTransportName,
        _ => "jsonrpc+" + _framing.Name,
    };

    // ------------------------------------------------------------------ envelope

    /// <inheritdoc />
    public override bool TryReadMessage(ref ReadOnlySequence<byte> buffer, bool isCompleted, out RpcMessage message)
    {
        switch (_framing.TryReadFrame(ref buffer, isCompleted, out ReadOnlySequence<byte> frame, out string? error))
        {
            case RpcFrameStatus.Complete:
                ContiguousFrame bytes = ContiguousFrame.Of(in frame);
                message = ParseEnvelope(bytes.Bytes, bytes.Rented);
                return true;
            case RpcFrameStatus.Incomplete:
                message = default;
                return false;
            case RpcFrameStatus.TooLarge:
                message = new RpcMessage(RpcMessageKind.Invalid, RequestId.Null, null, default, RpcErrorCodes.MessageTooLarge, error);
                return true;
            default:
                throw new InvalidDataException($"JSON-RPC ({_framing.Name} framing): {error} The connection is closed: the next message cannot be found.");
        }
    }

    // rented: the array the frame was copied into, if it was (the message's state, returned on release).
    private RpcMessage ParseEnvelope(ReadOnlyMemory<byte> buffer, byte[]? rented)
    {
        var reader = new Utf8JsonReader(buffer.Span, new JsonReaderOptions { MaxDepth = _options.MaxDepth });
        RequestId id = RequestId.None;
        string? method = null;
        string? invalid = null;
        bool hasVersion = false, hasResult = false, hasError = false;
        int payloadStart = 0, payloadEnd = 0;
        int errorCode = 0;
        string? errorMessage = null;
        try
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                bool batch = reader.TokenType == JsonTokenType.StartArray;
                reader.Skip();
                EnsureEnd(ref reader);
                return Invalid(rented, RequestId.Null, RpcErrorCodes.InvalidRequest, batch
                    ? "Invalid Request: batches are not supported; send one message per line."
                    : "Invalid Request: a message must be a JSON object.");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("jsonrpc"u8))
                {
                    reader.Read();
                    hasVersion = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("2.0"u8);
                    if (!hasVersion) invalid ??= "\"jsonrpc\" must be \"2.0\".";
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("id"u8))
                {
                    reader.Read();
                    switch (reader.TokenType)
                    {
                        case JsonTokenType.Number:
                            id = reader.TryGetInt64(out long n) ? RequestId.FromNumber(n) : RequestId.FromRawNumber(System.Text.Encoding.UTF8.GetString(reader.ValueSpan));
                            break;
                        case JsonTokenType.String:
                            id = RequestId.FromString(reader.GetString()!);
                            break;
                        case JsonTokenType.Null:
                            id = RequestId.Null;
                            break;
                        default:
                            invalid ??= "\"id\" must be a string, a number or null.";
                            id = RequestId.Null;
                            reader.Skip();
                            break;
                    }
                }
                else if (reader.ValueTextEquals("method"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String) method = ReadMethodName(ref reader);
                    else { invalid ??= "\"method\" must be a string."; reader.Skip(); }
                }
                else if (reader.ValueTextEquals("params"u8))
                {
                    reader.Read();
                    if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                    {
                        payloadStart = (int)reader.TokenStartIndex;
                        reader.Skip();
                        payloadEnd = (int)reader.BytesConsumed;
                    }
                    else
                    {
                        invalid ??= "\"params\" must be an object or an array.";
                        reader.Skip();
                    }
                }
                else if (reader.ValueTextEquals("result"u8))
                {
                    reader.Read();
                    hasResult = true;
                    payloadStart = (int)reader.TokenStartIndex;
                    reader.Skip();
                    payloadEnd = (int)reader.BytesConsumed;
                }
                else if (reader.ValueTextEquals("error"u8))
                {
                    reader.Read();
                    hasError = true;
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        invalid ??= "\"error\" must be an object.";
                        reader.Skip();
                        continue;
                    }
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        if (reader.ValueTextEquals("code"u8))
                        {
                            reader.Read();
                            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out errorCode)) invalid ??= "\"error.code\" must be an integer.";
                        }
                        else if (reader.ValueTextEquals("message"u8))
                        {
                            reader.Read();
                            if (reader.TokenType == JsonTokenType.String) errorMessage = reader.GetString();
                            else { invalid ??= "\"error.message\" must be a string."; reader.Skip(); }
                        }
                        else if (reader.ValueTextEquals("data"u8))
                        {
                            reader.Read();
                            payloadStart = (int)reader.TokenStartIndex;
                            reader.Skip();
                            payloadEnd = (int)reader.BytesConsumed;
                        }
                        else
                        {
                            reader.Read();
                            reader.Skip();
                        }
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            EnsureEnd(ref reader);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException or FormatException)
        {
            bool tooDeep = reader.CurrentDepth >= _options.MaxDepth - 1 && e.Message.Contains("depth", StringComparison.OrdinalIgnoreCase);
            return tooDeep
                ? Invalid(rented, RequestId.Null, RpcErrorCodes.NestingTooDeep, $"Message nested too deeply: the limit is {_options.MaxDepth} levels.")
                : Invalid(rented, RequestId.Null, RpcErrorCodes.ParseError, $"Parse error: {e.Message}");
        }

        if (!hasVersion) invalid ??= "\"jsonrpc\": \"2.0\" is required.";
        if (invalid is null)
        {
            if (method is not null)
            {
                if (hasResult || hasError) invalid = "a request must not have \"result\" or \"error\".";
                else
                    return new RpcMessage(id.IsPresent ? RpcMessageKind.Request : RpcMessageKind.Notification, id, method,
                        buffer[payloadStart..payloadEnd], state: rented);
            }
            else if (hasResult == hasError)
                invalid = "a message needs a \"method\", or exactly one of \"result\" and \"error\".";
            else if (!id.IsPresent)
                invalid = "a response needs an \"id\".";
            else if (hasResult)
                return new RpcMessage(RpcMessageKind.Result, id, null, buffer[payloadStart..payloadEnd], state: rented);
            else if (errorMessage is null)
                invalid = "\"error.message\" is required.";
            else
                return new RpcMessage(RpcMessageKind.Error, id, null, buffer[payloadStart..payloadEnd], errorCode, errorMessage, rented);
        }
        // An invalid response is not answered (answering could loop between two peers); an invalid request is.
        return Invalid(rented, method is null && (hasResult || hasError) ? RequestId.None : (id.IsPresent ? id : RequestId.Null),
            RpcErrorCodes.InvalidRequest, "Invalid Request: " + invalid);
    }

    // The reader runs over one contiguous buffer, so an unescaped name is one span: the common case costs no string.
    private string ReadMethodName(ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped || reader.HasValueSequence) return reader.GetString()!;
        ReadOnlySpan<byte> utf8 = reader.ValueSpan;
        return _methodNames.TryGet(utf8, out string? known) ? known : _methodNames.Remember(utf8, reader.GetString()!);
    }

    private static void EnsureEnd(ref Utf8JsonReader reader)
    {
        // Anything after the value (other than white space) makes the line invalid JSON.
        if (reader.Read()) throw new JsonException($"unexpected content after the message at byte {reader.TokenStartIndex}.");
    }

    private static RpcMessage Invalid(byte[]? rented, RequestId id, int code, string reason)
        => new(RpcMessageKind.Invalid, id, null, default, code, reason, rented);

    /// <inheritdoc />
    public override void Release(in RpcMessage message) => ContiguousFrame.Return(in message);

    // ------------------------------------------------------------------ payloads

    /// <inheritdoc />
    public override TArgs ReadArgs<TArgs>(in RpcMessage message)
    {
        if (message.Payload.IsEmpty)
        {
            JsonWireReader none = default;
            return TArgs.Read(ref none);
        }
        JsonWireReader reader = JsonWireReader.Create(message.Payload.Span, _options.MaxDepth);
        return TArgs.Read(ref reader);
    }

    /// <inheritdoc />
    public override string RpcSystem => "jsonrpc";

    /// <inheritdoc />
    /// <remarks>The context is <c>params._meta</c> (<c>traceparent</c>, <c>tracestate</c>), the convention of MCP.</remarks>
    public override Diagnostics.RpcTraceContext ReadTraceContext(in RpcMessage message)
    {
        ReadOnlySpan<byte> payload = message.Payload.Span;
        if (payload.IndexOf("\"_meta\""u8) < 0) return default;
        var reader = new Utf8JsonReader(payload, new JsonReaderOptions { MaxDepth = _options.MaxDepth });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return default;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool meta = reader.ValueTextEquals("_meta"u8);
                reader.Read();
                if (!meta || reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }
                string? traceParent = null, traceState = null;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    bool isParent = reader.ValueTextEquals("traceparent"u8), isState = reader.ValueTextEquals("tracestate"u8);
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String && isParent) traceParent = reader.GetString();
                    else if (reader.TokenType == JsonTokenType.String && isState) traceState = reader.GetString();
                    else reader.Skip();
                }
                return new(traceParent, traceState);
            }
        }
        catch (JsonException) { } // a malformed _meta carries no context; the params themselves are read on their own
        return default;
    }

    /// <inheritdoc />
    public override T ReadResult<T, TCodec>(in RpcMessage message)
    {
        JsonWireReader reader = JsonWireReader.Create(message.Payload.Span, _options.MaxDepth);
        return reader.TryReadNull() ? NullResult<T>() : TCodec.Read(ref reader);
    }

    /// <inheritdoc />
    public override RpcErrorData? ReadErrorData(in RpcMessage message)
        // The payload is one JSON value the envelope's reader went through; ToJson may nest as deep as the envelope could.
        => message.Payload.IsEmpty ? null : RpcErrorData.FromUtf8Json(message.Payload.ToArray(), _options.MaxDepth);

    // ------------------------------------------------------------------ writing

    // The framing says where the body goes (the output itself, or a buffer of its own to measure it first).
    private Utf8JsonWriter Begin(IBufferWriter<byte> output)
    {
        IBufferWriter<byte> body = _framing.BeginFrame(output);
        if (_writer is null) _writer = new Utf8JsonWriter(body, s_writerOptions);
        else _writer.Reset(body);
        _writer.WriteStartObject();
        _writer.WriteString(s_jsonrpc, s_version);
        return _writer;
    }

    private void End(Utf8JsonWriter writer, IBufferWriter<byte> output)
    {
        writer.WriteEndObject();
        writer.Flush();
        _framing.EndFrame(output);
    }

    private static void WriteId(Utf8JsonWriter w, RequestId id)
    {
        w.WritePropertyName(s_id);
        switch (id.Kind)
        {
            case RequestIdKind.Number: w.WriteNumberValue(id.Number); break;
            case RequestIdKind.String: w.WriteStringValue(id.Text); break;
            case RequestIdKind.RawNumber: w.WriteRawValue(id.Text!, skipInputValidation: true); break;
            default: w.WriteNullValue(); break;
        }
    }

    /// <inheritdoc />
    public override void WriteRequest<TArgs>(IBufferWriter<byte> output, RequestId id, string method, in TArgs args, Diagnostics.RpcTraceContext trace = default)
    {
        Utf8JsonWriter w = Begin(output);
        if (id.IsPresent) WriteId(w, id);
        w.WriteString(s_method, method);
        w.WritePropertyName(s_params);
        var writer = new JsonWireWriter(w, trace);
        args.Write(ref writer);
        End(w, output);
    }

    /// <inheritdoc />
    public override void WriteResult<T, TCodec>(IBufferWriter<byte> output, RequestId id, T value)
    {
        Utf8JsonWriter w = Begin(output);
        WriteId(w, id);
        w.WritePropertyName(s_result);
        var writer = new JsonWireWriter(w);
        if (value is null) w.WriteNullValue();
        else TCodec.Write(ref writer, value);
        End(w, output);
    }

    /// <inheritdoc />
    public override void WriteError(IBufferWriter<byte> output, RequestId id, int code, string message, RpcErrorData? data)
    {
        // Decided before the first byte is written: data that is not one JSON value, or has no JSON form, is left out
        // (the error still goes) rather than failing halfway through the message.
        JsonElement? converted = null;
        if (data is not null && data.Format != RpcDataFormat.Json)
        {
            try { converted = data.ToJson(); }
            catch (InvalidDataException) { data = null; }
        }
        else if (data is not null && !IsOneJsonValue(data.Payload.Span))
        {
            data = null;
        }
        Utf8JsonWriter w = Begin(output);
        WriteId(w, id);
        w.WritePropertyName(s_error);
        w.WriteStartObject();
        w.WriteNumber(s_code, code);
        w.WriteString(s_message, message);
        if (data is not null)
        {
            w.WritePropertyName(s_data);
            // JSON goes as it is; data of another format (relayed from a MessagePack sidecar) as converted above.
            if (converted is { } json) json.WriteTo(w);
            else w.WriteRawValue(data.Payload.Span, skipInputValidation: true);
        }
        w.WriteEndObject();
        End(w, output);
    }

    private static bool IsOneJsonValue(ReadOnlySpan<byte> utf8)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8);
            if (!reader.Read()) return false;
            reader.Skip();
            return !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
