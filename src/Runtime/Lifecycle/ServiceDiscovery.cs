using System.Text.Json;
using SidecarKit.Rpc;
using SidecarKit.Schema;
using SidecarKit.Wire;

namespace SidecarKit.Lifecycle;

/// <summary>
/// <c>rpc.discover</c>, OpenRPC's service discovery method: the sidecar's OpenRPC document (<see cref="OpenRpcExporter"/>)
/// as the result, a JSON object on JSON-RPC and a map on MessagePack-RPC. Served on every RPC connection; gRPC has
/// server reflection instead (docs/grpc.md).
/// </summary>
internal static class ServiceDiscovery
{
    /// <summary>The method's wire name, which the OpenRPC specification fixes.</summary>
    public const string Method = "rpc.discover";

    /// <summary>The handler answering <paramref name="document"/> (built once per host: the contracts do not change).</summary>
    public static RpcMethodHandler Handler(JsonElement document)
        => RpcMethodHandler.Unary<NoArgs, JsonElement, JsonValueCodec>(Method, (_, _) => new ValueTask<JsonElement>(document));

    /// <summary>The document of <paramref name="contracts"/> and <paramref name="callbacks"/>, parsed once.</summary>
    public static JsonElement Document(IReadOnlyList<ContractDescriptor> contracts, IReadOnlyList<ContractDescriptor> callbacks)
    {
        using JsonDocument parsed = JsonDocument.Parse(OpenRpcExporter.Export(contracts, callbacks, indented: false));
        return parsed.RootElement.Clone();
    }

    /// <summary>
    /// Writes any JSON value in the connection's format: objects as string-keyed maps, arrays as arrays, numbers as the
    /// narrowest of integer and double. Write-only: nothing in SidecarKit reads a document back through a codec.
    /// </summary>
    private readonly struct JsonValueCodec : IWireCodec<JsonElement>
    {
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

        public static JsonElement Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct
            => throw new NotSupportedException("rpc.discover's result is read by the caller's own JSON or MessagePack library.");
    }
}
