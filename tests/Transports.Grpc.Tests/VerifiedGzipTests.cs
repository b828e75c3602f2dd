using System.IO.Compression;
using Grpc.Core;

namespace SidecarKit.Transports.Grpc.Tests;

/// <summary>
/// <see cref="VerifiedGzipCompressionProvider"/> on its own: whole messages inflate whatever sizes the input arrives in
/// (grpc-dotnet hands it a sequence whose segments may end anywhere), and every way of being incomplete is INTERNAL.
/// </summary>
public class VerifiedGzipTests
{
    private static readonly VerifiedGzipCompressionProvider s_gzip = new();

    private static byte[] Compress(byte[] data)
    {
        var compressed = new MemoryStream();
        using (Stream zip = s_gzip.CreateCompressionStream(compressed, CompressionLevel.Optimal)) zip.Write(data);
        return compressed.ToArray();
    }

    private static byte[] Decompress(byte[] compressed, int chunk)
    {
        var output = new MemoryStream();
        using (Stream unzip = s_gzip.CreateDecompressionStream(new Trickle(compressed, chunk))) unzip.CopyTo(output);
        return output.ToArray();
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 3)]
    [InlineData(100_000, 1)]
    [InlineData(100_000, 7)]
    [InlineData(100_000, 8)]
    [InlineData(100_000, 9)]
    [InlineData(1 << 20, 65536)]
    public void A_whole_message_inflates_in_any_chunks(int size, int chunk)
    {
        byte[] data = new byte[size];
        new Random(size).NextBytes(data.AsSpan(0, size / 2));   // half noise, half zeros: some of it compresses
        Assert.Equal(data, Decompress(Compress(data), chunk));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(4096)]
    public void Every_cut_of_a_message_is_INTERNAL(int chunk)
    {
        byte[] whole = Compress("a message long enough to cut in many places"u8.ToArray());
        for (int length = 1; length < whole.Length; length++)   // 0 bytes: an empty message, see below
        {
            var e = Assert.Throws<RpcException>(() => Decompress(whole[..length], chunk));
            Assert.Equal(StatusCode.Internal, e.StatusCode);
        }
    }

    [Fact]
    public void A_corrupted_trailer_or_bytes_after_it_are_INTERNAL()
    {
        byte[] whole = Compress(new byte[1000]);
        byte[] badCrc = [.. whole];
        badCrc[^8] ^= 1;
        byte[] badSize = [.. whole];
        badSize[^1] ^= 1;
        foreach (byte[] message in new[] { badCrc, badSize, [.. whole, 0], [.. whole, .. whole[..10]] })
            Assert.Equal(StatusCode.Internal, Assert.Throws<RpcException>(() => Decompress(message, 4096)).StatusCode);
    }

    // grpc-dotnet compresses an empty message with GZipStream, which writes nothing for it: zero bytes flagged compressed.
    [Fact]
    public void Zero_bytes_are_an_empty_message_as_grpc_dotnet_sends_it()
    {
        Assert.Empty(Compress([]));
        Assert.Empty(Decompress([], 4096));
    }

    // Hands out at most `chunk` bytes per read.
    private sealed class Trickle(byte[] data, int chunk) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));

        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, chunk)]);
    }
}
