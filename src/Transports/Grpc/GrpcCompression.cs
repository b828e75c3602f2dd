using System.Buffers.Binary;
using System.IO.Compression;

namespace SidecarKit.Transports.Grpc;

/// <summary>gzip, the one <c>grpc-encoding</c> besides identity that this transport speaks, in both directions.</summary>
internal static class GrpcCompression
{
    /// <summary>
    /// Responses smaller than this go uncompressed (flag 0) even on a gzip stream, as the specification allows: gzip's
    /// own 18 bytes of framing and the time it takes buy nothing on small messages.
    /// </summary>
    public const int MinimumResponseSize = 1024;

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

    /// <summary>Whether a <c>grpc-accept-encoding</c> list (comma-separated, as the peer sends it) names gzip.</summary>
    public static bool AcceptsGzip(string? acceptEncoding)
    {
        if (string.IsNullOrEmpty(acceptEncoding)) return false;
        foreach (Range part in acceptEncoding.AsSpan().Split(','))
            if (acceptEncoding.AsSpan()[part].Trim().Equals("gzip", StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }
}
