using System.Buffers;
using System.Text;

namespace SidecarKit.Transports.Grpc.Protobuf;

/// <summary>
/// Writes a message field by field, for the few messages this transport builds by hand once (descriptors for server
/// reflection, its responses). Every field is written as given: proto2 descriptors keep their zeros. Not for the call
/// path, which goes through <see cref="ProtobufEncoder"/>.
/// </summary>
internal sealed class ProtoBuilder
{
    private readonly ArrayBufferWriter<byte> _bytes = new();

    public ProtoBuilder String(int field, string? value)
    {
        if (value is null) return this;
        int length = Encoding.UTF8.GetByteCount(value);
        Tag(field, ProtoWire.Len).Varint((ulong)length);
        _bytes.Advance(Encoding.UTF8.GetBytes(value, _bytes.GetSpan(length)));
        return this;
    }

    public ProtoBuilder Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, ProtoWire.Len).Varint((ulong)value.Length);
        _bytes.Write(value);
        return this;
    }

    public ProtoBuilder Message(int field, ProtoBuilder message) => Bytes(field, message.WrittenSpan);

    public ProtoBuilder Int(int field, long value) => Tag(field, ProtoWire.Varint).Varint((ulong)value);

    public ProtoBuilder Bool(int field, bool value) => Int(field, value ? 1 : 0);

    public ReadOnlySpan<byte> WrittenSpan => _bytes.WrittenSpan;

    public byte[] ToArray() => _bytes.WrittenSpan.ToArray();

    private ProtoBuilder Tag(int field, int wireType) => Varint((ulong)(uint)((field << 3) | wireType));

    private ProtoBuilder Varint(ulong value)
    {
        _bytes.Advance(ProtoWire.WriteVarint(_bytes.GetSpan(10), value));
        return this;
    }
}
