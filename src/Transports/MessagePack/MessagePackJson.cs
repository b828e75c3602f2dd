using System.Buffers;
using System.Globalization;
using System.Text.Json;
using MessagePack;

namespace SidecarKit.Transports.MessagePack;

/// <summary>
/// Converts error <c>data</c> from MessagePack to JSON, for data that must cross to the other format (the other way is
/// <see cref="SidecarKit.Wire.JsonElementCodec"/>).
/// </summary>
internal static class MessagePackJson
{
    /// <summary>The MessagePack value in <paramref name="msgpack"/> as JSON; bytes as base64, extensions as <c>{extension, data}</c>.</summary>
    /// <exception cref="SidecarKit.Wire.WireFormatException">The bytes are not one MessagePack value, or nest too deeply.</exception>
    public static JsonElement ToJson(ReadOnlySequence<byte> msgpack)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            var r = new MessagePackReader(msgpack);
            try
            {
                Convert(ref r, w);
            }
            catch (Exception e) when (UntrustedInput.IsMalformed(e))
            {
                throw UntrustedInput.Malformed(e, "error data");
            }
        }
        using JsonDocument doc = JsonDocument.Parse(buffer.WrittenMemory);
        return doc.RootElement.Clone();
    }

    private static void Convert(ref MessagePackReader r, Utf8JsonWriter w)
    {
        switch (r.NextMessagePackType)
        {
            case MessagePackType.Nil: r.ReadNil(); w.WriteNullValue(); break;
            case MessagePackType.Boolean: w.WriteBooleanValue(r.ReadBoolean()); break;
            case MessagePackType.Integer:
                if (r.NextCode == MessagePackCode.UInt64) w.WriteNumberValue(r.ReadUInt64());
                else w.WriteNumberValue(r.ReadInt64());
                break;
            case MessagePackType.Float:
                double d = r.ReadDouble();
                if (double.IsFinite(d)) w.WriteNumberValue(d); else w.WriteStringValue(d.ToString(CultureInfo.InvariantCulture));
                break;
            case MessagePackType.String: w.WriteStringValue(UntrustedInput.ReadString(ref r)); break;
            case MessagePackType.Binary: w.WriteBase64StringValue(r.ReadBytes()!.Value.ToArray()); break;
            case MessagePackType.Array:
                int items = r.ReadArrayHeader();
                UntrustedInput.DepthStep(ref r);
                w.WriteStartArray();
                for (int i = 0; i < items; i++) Convert(ref r, w);
                w.WriteEndArray();
                r.Depth--;
                break;
            case MessagePackType.Map:
                int entries = r.ReadMapHeader();
                UntrustedInput.DepthStep(ref r);
                w.WriteStartObject();
                for (int i = 0; i < entries; i++)
                {
                    if (r.NextMessagePackType == MessagePackType.String) w.WritePropertyName(UntrustedInput.ReadString(ref r));
                    else { w.WritePropertyName(i.ToString(CultureInfo.InvariantCulture)); r.Skip(); }
                    Convert(ref r, w);
                }
                w.WriteEndObject();
                r.Depth--;
                break;
            case MessagePackType.Extension:
                ExtensionResult ext = r.ReadExtensionFormat();
                w.WriteStartObject();
                w.WriteNumber("extension", ext.TypeCode);
                w.WriteBase64String("data", ext.Data.ToArray());
                w.WriteEndObject();
                break;
            default:
                throw new SidecarKit.Wire.WireFormatException($"0x{r.NextCode:x2} is not a valid MessagePack format byte.");
        }
    }
}
