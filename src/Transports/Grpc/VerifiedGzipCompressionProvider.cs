using System.Buffers.Binary;
using System.IO.Compression;
using Grpc.Core;
using Grpc.Net.Compression;

namespace SidecarKit.Transports.Grpc;

/// <summary>
/// The <c>gzip</c> message encoding, as grpc-dotnet's own provider but refusing a message that does not decompress
/// completely. <see cref="GZipStream"/> reads a member cut short (the header alone, a body without its CRC and size
/// trailer) as a shorter one without complaint, and grpc-dotnet then runs the method with default or partial arguments.
/// Here the message must end with the trailer of what it decompressed to (CRC-32 and size, RFC 1952), nothing after
/// it; otherwise, or when the bytes do not inflate at all, the call is INTERNAL, as the gRPC spec says, and nothing runs.
/// </summary>
/// <remarks>
/// One gzip member per message, as every gRPC implementation sends: a message of several members is refused too (the
/// trailer checked is the last member's, over everything decompressed). Zero bytes are an empty message, as grpc-dotnet
/// sends one. Compression is grpc-dotnet's, unchanged.
/// </remarks>
internal sealed class VerifiedGzipCompressionProvider(CompressionLevel defaultLevel = CompressionLevel.Fastest) : ICompressionProvider
{
    public string EncodingName => "gzip";

    public Stream CreateCompressionStream(Stream stream, CompressionLevel? compressionLevel)
        => new GZipStream(stream, compressionLevel ?? defaultLevel, leaveOpen: true);

    public Stream CreateDecompressionStream(Stream stream) => new VerifyingStream(stream);

    private static RpcException Incomplete(string why, Exception? inner = null)
        => new(new Status(StatusCode.Internal, "The gzip-compressed message is not complete: " + why + ".", inner));

    // Inflates, counting and checksumming what comes out; at its end checks that the input ended with the trailer
    // that describes exactly that.
    private sealed class VerifyingStream(Stream compressed) : ReadOnlyStream
    {
        private readonly TailKeepingStream _input = new(compressed);
        private GZipStream? _inflate;
        private readonly System.IO.Hashing.Crc32 _crc = new();
        private long _length;
        private bool _verified;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_verified || buffer.IsEmpty) return 0;
            _inflate ??= new GZipStream(_input, CompressionMode.Decompress, leaveOpen: true);
            int read;
            try
            {
                read = _inflate.Read(buffer);
            }
            catch (InvalidDataException e)
            {
                throw Incomplete("it does not inflate", e);
            }
            if (read > 0)
            {
                _crc.Append(buffer[..read]);
                _length += read;
                return read;
            }
            Verify();
            return 0;
        }

        private void Verify()
        {
            _verified = true;
            _input.ReadToEnd();   // whatever the inflater left unread is part of the input's end too
            // No bytes at all is an empty message: .NET's GZipStream writes nothing for one, so grpc-dotnet peers (ours
            // too) send an empty message flagged compressed as zero bytes.
            if (_input.Total == 0) return;
            if (!_input.TryGetTail(out ReadOnlySpan<byte> trailer))
                throw Incomplete("it is shorter than a gzip header and trailer");
            if (BinaryPrimitives.ReadUInt32LittleEndian(trailer) != _crc.GetCurrentHashAsUInt32() || BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]) != (uint)_length)
                throw Incomplete("it does not end with the CRC and size of what it decompressed to");
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _inflate?.Dispose();
            base.Dispose(disposing);
        }
    }

    // Passes the compressed bytes through, remembering the last eight: the gzip trailer, when the message is whole.
    private sealed class TailKeepingStream(Stream inner) : ReadOnlyStream
    {
        private const int TrailerSize = 8;
        private const int MinimumMessage = 10 + 2 + TrailerSize;   // header, the shortest deflate block, trailer
        private readonly byte[] _tail = new byte[TrailerSize];
        private long _total;

        public long Total => _total;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int read = inner.Read(buffer);
            Remember(buffer[..read]);
            return read;
        }

        public void ReadToEnd()
        {
            Span<byte> rest = stackalloc byte[256];
            int read;
            while ((read = inner.Read(rest)) > 0) Remember(rest[..read]);
        }

        public bool TryGetTail(out ReadOnlySpan<byte> trailer)
        {
            trailer = _tail;
            return _total >= MinimumMessage;
        }

        private void Remember(ReadOnlySpan<byte> read)
        {
            if (read.Length >= TrailerSize)
            {
                read[^TrailerSize..].CopyTo(_tail);
            }
            else if (read.Length > 0)
            {
                _tail.AsSpan(read.Length).CopyTo(_tail);   // shift left by what came in
                read.CopyTo(_tail.AsSpan(TrailerSize - read.Length));
            }
            _total += read.Length;
        }
    }

    // What both streams above are besides their reading: forward-only and read-only.
    private abstract class ReadOnlyStream : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
