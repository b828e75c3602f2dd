using System.Buffers.Binary;
using System.IO.Compression;

namespace SidecarKit.Transports.Grpc;

/// <summary>gzip for the client's requests (the server's gzip is grpc-dotnet's).</summary>
internal static class GrpcCompression
{
    /// <summary>Writes <paramref name="message"/> gzip-compressed, with its five-byte prefix (flag 1), at the end of <paramref name="into"/>.</summary>
    public static void WriteCompressed(ReadOnlySpan<byte> message, MemoryStream into)
    {
        long start = into.Length;
        into.Position = start;
        into.Write(stackalloc byte[5]);
        using (var zip = new GZipStream(into, CompressionLevel.Fastest, leaveOpen: true))
            zip.Write(message);
        Span<byte> prefix = into.GetBuffer().AsSpan((int)start, 5);
        prefix[0] = 1;
        BinaryPrimitives.WriteUInt32BigEndian(prefix[1..], (uint)(into.Length - start - 5));
    }
}
