using System.Text.Json;

namespace SidecarKit.Rpc;

/// <summary>The encoding of an <see cref="RpcErrorData"/> payload.</summary>
public enum RpcDataFormat
{
    /// <summary>UTF-8 JSON (JSON-RPC, and the <c>sidecar-error-data-bin</c> trailer on gRPC).</summary>
    Json,

    /// <summary>MessagePack (MessagePack-RPC).</summary>
    MessagePack,
}

/// <summary>
/// The details of an error (the <c>data</c> member of a JSON-RPC or MessagePack-RPC error, the
/// <c>sidecar-error-data-bin</c> trailer on gRPC), kept as the transport that carried them encoded them: the call
/// engine neither parses nor converts them. A call that failed with data over MessagePack gives its MessagePack bytes
/// (<see cref="Payload"/>), which lose nothing (binary, extension types); <see cref="ToJson"/> converts on demand, and a
/// transport that sends data of another format converts it once, when it writes it.
/// </summary>
public abstract class RpcErrorData
{
    /// <summary>Creates the data from its encoded payload.</summary>
    /// <param name="payload">One complete value in <see cref="Format"/>; owned by this instance from now on.</param>
    protected RpcErrorData(ReadOnlyMemory<byte> payload) => Payload = payload;

    /// <summary>The encoded value: one complete value in <see cref="Format"/>.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>How <see cref="Payload"/> is encoded.</summary>
    public abstract RpcDataFormat Format { get; }

    /// <summary>The data as JSON (converted from <see cref="Format"/> when it is not JSON).</summary>
    /// <exception cref="InvalidDataException">The data has no JSON form (a malformed payload from the other side).</exception>
    public abstract JsonElement ToJson();

    /// <summary>Data to send with an error, as JSON.</summary>
    public static RpcErrorData FromJson(JsonElement data) => new JsonErrorData(JsonErrorData.Encode(data), JsonErrorData.DefaultMaxDepth);

    /// <summary>Data received as UTF-8 JSON (one complete value, not checked here: <see cref="ToJson"/> reports a malformed one).</summary>
    /// <param name="utf8Json">The bytes; owned by the returned instance.</param>
    /// <param name="maxDepth">How deep <see cref="ToJson"/> may nest. Default 64, as <see cref="JsonDocument"/>'s.</param>
    public static RpcErrorData FromUtf8Json(ReadOnlyMemory<byte> utf8Json, int maxDepth = JsonErrorData.DefaultMaxDepth)
        => new JsonErrorData(utf8Json, maxDepth);

    /// <summary>The data as JSON text, or a note of its size and format when it has no JSON form.</summary>
    public override string ToString()
    {
        try
        {
            return ToJson().GetRawText();
        }
        catch (InvalidDataException)
        {
            return $"<{Payload.Length} bytes of {Format} with no JSON form>";
        }
    }
}

/// <summary>Error data in UTF-8 JSON.</summary>
internal sealed class JsonErrorData(ReadOnlyMemory<byte> utf8Json, int maxDepth) : RpcErrorData(utf8Json)
{
    public const int DefaultMaxDepth = 64;

    public override RpcDataFormat Format => RpcDataFormat.Json;

    public override JsonElement ToJson()
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(Payload, new JsonDocumentOptions { MaxDepth = maxDepth });
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The error data is not valid JSON: {e.Message}", e);
        }
    }

    public static byte[] Encode(JsonElement data)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer)) data.WriteTo(writer);
        return buffer.WrittenSpan.ToArray();
    }
}
