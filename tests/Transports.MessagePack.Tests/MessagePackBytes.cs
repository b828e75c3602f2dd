using System.Buffers;
using MessagePack;

namespace SidecarKit.Transports.MessagePack.Tests;

/// <summary>Writes a MessagePack value into bytes with the library's writer, for tests that build frames by hand.</summary>
internal static class MessagePackBytes
{
    internal delegate void WriteValue(ref MessagePackWriter writer);

    public static byte[] Of(WriteValue write)
    {
        var output = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(output);
        write(ref w);
        w.Flush();
        return output.WrittenSpan.ToArray();
    }
}
