using System.Buffers;
using System.Text.Json;

namespace SidecarKit.Transports.MessagePack;

/// <summary>Converts error <c>data</c> between MessagePack and JSON (the call engine keeps it as a <see cref="JsonElement"/>).</summary>
internal static class MessagePackJson
{
    public static JsonElement ToJson(ReadOnlySequence<byte> msgpack)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            var r = new MessagePackReader(msgpack);
            Convert(ref r, w, 0);
        }
        using JsonDocument doc = JsonDocument.Parse(buffer.WrittenMemory);
        return doc.RootElement.Clone();
    }

    private static void Convert(ref MessagePackReader r, Utf8JsonWriter w, int depth)
    {
        if (depth > MessagePackWireReader.MaxDepth) throw new SidecarKit.Wire.WireFormatException("error data nested too deeply.");
        switch (r.NextType)
        {
            case MessagePackType.Nil: r.TryReadNil(); w.WriteNullValue(); break;
            case MessagePackType.Boolean: w.WriteBooleanValue(r.ReadBoolean()); break;
            case MessagePackType.Integer:
                if (r.NextCode == MessagePackCode.UInt64) w.WriteNumberValue(r.ReadUInt64());
                else w.WriteNumberValue(r.ReadInt64());
                break;
            case MessagePackType.Float:
                double d = r.ReadDouble();
                if (double.IsFinite(d)) w.WriteNumberValue(d); else w.WriteStringValue(d.ToString(System.Globalization.CultureInfo.InvariantCulture));
                break;
            case MessagePackType.String: w.WriteStringValue(r.ReadString()); break;
            case MessagePackType.Binary: w.WriteBase64StringValue(r.ReadBinary()); break;
            case MessagePackType.Array:
                int items = r.ReadArrayHeader();
                w.WriteStartArray();
                for (int i = 0; i < items; i++) Convert(ref r, w, depth + 1);
                w.WriteEndArray();
                break;
            case MessagePackType.Map:
                int entries = r.ReadMapHeader();
                w.WriteStartObject();
                for (int i = 0; i < entries; i++)
                {
                    if (r.NextType == MessagePackType.String) w.WritePropertyName(r.ReadString());
                    else { w.WritePropertyName(i.ToString(System.Globalization.CultureInfo.InvariantCulture)); r.Skip(); }
                    Convert(ref r, w, depth + 1);
                }
                w.WriteEndObject();
                break;
            default:
                (sbyte type, int length) = r.ReadExtensionHeader();
                w.WriteStartObject();
                w.WriteNumber("extension", type);
                w.WriteBase64String("data", r.ReadBytes(length).ToArray());
                w.WriteEndObject();
                break;
        }
    }

    public static void Write(MessagePackWriter w, JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                w.WriteMapHeader(e.EnumerateObject().Count());
                foreach (JsonProperty p in e.EnumerateObject())
                {
                    w.WriteString(p.Name);
                    Write(w, p.Value);
                }
                break;
            case JsonValueKind.Array:
                w.WriteArrayHeader(e.GetArrayLength());
                foreach (JsonElement item in e.EnumerateArray()) Write(w, item);
                break;
            case JsonValueKind.String: w.WriteString(e.GetString()!); break;
            case JsonValueKind.Number:
                if (e.TryGetInt64(out long l)) w.WriteInt64(l);
                else if (e.TryGetUInt64(out ulong u)) w.WriteUInt64(u);
                else w.WriteDouble(e.GetDouble());
                break;
            case JsonValueKind.True: w.WriteBoolean(true); break;
            case JsonValueKind.False: w.WriteBoolean(false); break;
            default: w.WriteNil(); break;
        }
    }
}
