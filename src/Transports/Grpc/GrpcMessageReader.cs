using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Pipelines;

namespace SidecarKit.Transports.Grpc;

/// <summary>A received gRPC message in a rented buffer; <see cref="Dispose"/> returns it.</summary>
internal readonly struct GrpcMessage(byte[] buffer, int length, int offset = 0) : IDisposable
{
    public ReadOnlySpan<byte> Span => buffer.AsSpan(offset, length);

    public int Length => length;

    public void Dispose()
    {
        if (buffer is { Length: > 0 }) ArrayPool<byte>.Shared.Return(buffer);
    }
}

/// <summary>The failure of reading a message, with the status it should end the call with.</summary>
internal sealed class GrpcFramingException(GrpcStatusCode status, string message, int? code = null) : Exception(message)
{
    public GrpcStatusCode Status { get; } = status;

    /// <summary>The error code sent along (<c>sidecar-error-code</c>), if any.</summary>
    public int? Code { get; } = code;
}

/// <summary>
/// Reads length-prefixed gRPC messages (a compressed flag, a 4-byte big-endian length, the message) from a
/// <see cref="PipeReader"/>: the request body on the server.
/// </summary>
internal static class GrpcMessageReader
{
    /// <summary>
    /// The next message, or <see langword="null"/> at the end of the stream. <paramref name="gzip"/>: whether the
    /// sender's <c>grpc-encoding</c> is gzip (a compressed message is an error otherwise).
    /// </summary>
    public static async ValueTask<GrpcMessage?> ReadAsync(PipeReader reader, int maxSize, bool gzip, CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            if (buffer.Length >= 5)
            {
                (byte flag, uint length) = ReadPrefix(buffer);
                if (PrefixProblem(flag, length, maxSize) is { } problem)
                {
                    reader.AdvanceTo(buffer.Start);
                    throw problem;
                }
                if (buffer.Length >= 5 + length)
                {
                    ReadOnlySequence<byte> payload = buffer.Slice(5, length);
                    GrpcMessage message;
                    try
                    {
                        message = flag == 0 ? Copy(payload) : Decompress(payload, gzip, maxSize);
                    }
                    finally
                    {
                        reader.AdvanceTo(buffer.GetPosition(5 + length));
                    }
                    return message;
                }
            }
            if (result.IsCompleted)
            {
                reader.AdvanceTo(buffer.End);
                if (buffer.Length == 0) return null;
                throw new GrpcFramingException(GrpcStatusCode.Internal, $"The stream ended inside a message ({buffer.Length} bytes of it).");
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    // A flag other than 0 (plain) or 1 (compressed), or a length over the limit, refused before the message is read.
    private static GrpcFramingException? PrefixProblem(byte flag, uint length, int maxSize)
        => flag > 1 ? new GrpcFramingException(GrpcStatusCode.Internal, $"Invalid message prefix: the compressed flag is {flag}.")
         : length > (uint)maxSize ? new GrpcFramingException(GrpcStatusCode.ResourceExhausted, $"Received message larger than max ({length} vs. {maxSize})")
         : null;

    private static (byte Flag, uint Length) ReadPrefix(ReadOnlySequence<byte> buffer)
    {
        Span<byte> header = stackalloc byte[5];
        buffer.Slice(0, 5).CopyTo(header);
        return (header[0], BinaryPrimitives.ReadUInt32BigEndian(header[1..]));
    }

    private static GrpcMessage Copy(ReadOnlySequence<byte> payload)
    {
        if (payload.Length == 0) return new GrpcMessage([], 0);
        byte[] rented = ArrayPool<byte>.Shared.Rent((int)payload.Length);
        payload.CopyTo(rented);
        return new GrpcMessage(rented, (int)payload.Length);
    }

    private static GrpcMessage Decompress(ReadOnlySequence<byte> payload, bool gzip, int maxSize)
    {
        if (!gzip)
            throw new GrpcFramingException(GrpcStatusCode.Internal, "A message is marked compressed, but no grpc-encoding was given for it.");
        byte[] compressed = payload.ToArray();
        using var input = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
        byte[] rented = ArrayPool<byte>.Shared.Rent(Math.Max(256, compressed.Length * 4));
        int length = 0;
        try
        {
            while (true)
            {
                if (length == rented.Length)
                {
                    if (rented.Length >= maxSize + 1) break;
                    byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Min(rented.Length * 2, maxSize + 1));
                    rented.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(rented);
                    rented = bigger;
                }
                int read = input.Read(rented, length, Math.Min(rented.Length, maxSize + 1) - length);
                if (read == 0) break;
                length += read;
                if (length > maxSize)
                    throw new GrpcFramingException(GrpcStatusCode.ResourceExhausted, $"Received message larger than max once decompressed (over {maxSize} bytes).");
            }
        }
        catch (InvalidDataException e)
        {
            ArrayPool<byte>.Shared.Return(rented);
            throw new GrpcFramingException(GrpcStatusCode.Internal, "A gzip-compressed message does not decompress: " + e.Message);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(rented);
            throw;
        }
        return new GrpcMessage(rented, length);
    }
}
