using System.Text.Json;

namespace SidecarKit.Wire;

/// <summary>
/// Writes any JSON value in the writer's format: objects as string-keyed maps, arrays as arrays, numbers as the
/// narrowest of signed integer, unsigned integer and double. What a format has only one way to say, JSON's own values,
/// crossing to another (<c>rpc.discover</c>'s document, error data written as JSON and sent on MessagePack-RPC).
/// Write-only: a value read from the wire is read by its own format's reader.
/// </summary>
internal sealed class JsonElementCodec : IWireCodec<JsonElement>
{
    /// <inheritdoc />
    public static void Write<TWriter>(ref TWriter writer, JsonElement value) where TWriter : IWireWriter, allows ref struct
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                int count = 0;
                foreach (JsonProperty _ in value.EnumerateObject()) count++;
                writer.WriteStartMap(count);
                foreach (JsonProperty property in value.EnumerateObject())
                {
                    writer.WriteKey(property.Name);
                    Write(ref writer, property.Value);
                }
                writer.WriteEndMap();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray(value.GetArrayLength());
                foreach (JsonElement item in value.EnumerateArray()) Write(ref writer, item);
                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                writer.WriteString(value.GetString()!);
                break;
            case JsonValueKind.Number when value.TryGetInt64(out long signed):
                writer.WriteInt64(signed);
                break;
            case JsonValueKind.Number when value.TryGetUInt64(out ulong unsigned):
                writer.WriteUInt64(unsigned);
                break;
            case JsonValueKind.Number:
                writer.WriteDouble(value.GetDouble());
                break;
            case JsonValueKind.True or JsonValueKind.False:
                writer.WriteBoolean(value.GetBoolean());
                break;
            default:
                writer.WriteNull();
                break;
        }
    }

    /// <inheritdoc />
    /// <exception cref="NotSupportedException">Always: the codec only writes.</exception>
    public static JsonElement Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct
        => throw new NotSupportedException("A JSON value crossing to another format is read by that format's own reader.");
}
