using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using SidecarKit.Rpc;
using SidecarKit.Transports.Grpc.Protobuf;
using SidecarKit.Wire;

namespace SidecarKit.Transports.Grpc.Server;

/// <summary>One call on the server: its request message in, its response messages out, on one HTTP/2 stream.</summary>
/// <param name="context">The request and its response.</param>
/// <param name="method">The contract method, when the call is one.</param>
/// <param name="options">The server's settings.</param>
/// <param name="gzip">Whether the request's <c>grpc-encoding</c> is gzip.</param>
/// <param name="gzipResponses">Whether responses are gzip-compressed (the server compresses, and the client takes gzip).</param>
internal sealed class GrpcServerCall(HttpContext context, GrpcMethod? method, GrpcServerOptions options, bool gzip, bool gzipResponses) : IRpcServerCall, IDisposable
{
    // Messages are encoded and copied into the response synchronously, so one encoder per thread serves every call;
    // likewise the buffer a compressed message is written to.
    [ThreadStatic] private static ProtobufEncoder? t_encoder;
    [ThreadStatic] private static MemoryStream? t_compressed;
    private GrpcMessage _request;

    public HttpContext Context => context;

    /// <summary>Whether a message was written (perhaps not flushed yet): the status then goes in the trailers.</summary>
    public bool HasResponse { get; private set; }

    /// <summary>Reads the call's one request message (unary and server-streaming calls have exactly one).</summary>
    public async ValueTask ReadRequestAsync(CancellationToken cancellationToken)
    {
        var reader = context.Request.BodyReader;
        _request = await GrpcMessageReader.ReadAsync(reader, options.MaxReceiveMessageSize, gzip, cancellationToken).ConfigureAwait(false)
            ?? throw new GrpcFramingException(GrpcStatusCode.Internal, "The request has no message: a unary or server-streaming call needs exactly one.");
        if (await GrpcMessageReader.ReadAsync(reader, options.MaxReceiveMessageSize, gzip, cancellationToken).ConfigureAwait(false) is { } extra)
        {
            extra.Dispose();
            throw new GrpcFramingException(GrpcStatusCode.Internal, "The request has more than one message: a unary or server-streaming call takes exactly one.");
        }
    }

    /// <summary>Reads the next request message of a bidirectional call; <see langword="false"/> once the client has sent its last.</summary>
    public async ValueTask<bool> ReadNextRequestAsync(CancellationToken cancellationToken)
    {
        _request.Dispose();
        _request = default;
        if (await GrpcMessageReader.ReadAsync(context.Request.BodyReader, options.MaxReceiveMessageSize, gzip, cancellationToken).ConfigureAwait(false) is not { } next)
            return false;
        _request = next;
        return true;
    }

    public ReadOnlySpan<byte> Request => _request.Span;

    public TArgs ReadArgs<TArgs>() where TArgs : struct, IWireArgs<TArgs>
    {
        try
        {
            return ProtobufReader.ReadArgs<TArgs>(_request.Span);
        }
        catch (Exception e) when (e is WireFormatException or FormatException or OverflowException or InvalidOperationException)
        {
            throw new GrpcFramingException(GrpcStatusCode.InvalidArgument, $"Invalid params for '{method!.Descriptor.WireName}': {e.Message}", RpcErrorCodes.InvalidParams);
        }
    }

    public ValueTask WriteResultAsync<TResult, TCodec>(TResult result, CancellationToken cancellationToken) where TCodec : IWireCodec<TResult>
    {
        ProtobufEncoder encoder = StartMessage();
        method!.WriteResponse<TResult, TCodec>(encoder, result);
        // Not flushed: the message leaves with the trailers when the call completes, in fewer frames.
        Send(encoder);
        return default;
    }

    public async ValueTask WriteItemAsync<TItem, TCodec>(TItem item, CancellationToken cancellationToken) where TCodec : IWireCodec<TItem>
    {
        ProtobufEncoder encoder = StartMessage();
        method!.WriteResponse<TItem, TCodec>(encoder, item);
        Send(encoder);
        // Flushing waits for HTTP/2 flow control: a client that reads slowly slows the stream down.
        await context.Response.BodyWriter.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends a message written by hand (health).</summary>
    public ProtobufEncoder StartMessage()
    {
        ProtobufEncoder encoder = t_encoder ??= new ProtobufEncoder(reserve: 5);
        encoder.Reset();
        return encoder;
    }

    public void Send(ProtobufEncoder encoder)
    {
        int length = encoder.MessageLength;
        if (options.MaxSendMessageSize is { } max && length > max)
            throw new GrpcFramingException(GrpcStatusCode.ResourceExhausted, $"Sending message larger than max ({length} vs. {max})");
        byte[] buffer = encoder.Buffer;
        if (gzipResponses && length >= GrpcCompression.MinimumResponseSize)
        {
            MemoryStream compressed = t_compressed ??= new MemoryStream();
            compressed.SetLength(0);
            GrpcCompression.WriteCompressed(buffer.AsSpan(5, length), compressed);
            Body().Write(compressed.GetBuffer().AsSpan(0, (int)compressed.Length));
            if (compressed.Capacity > 1 << 20) t_compressed = null;   // one large answer must not stay pinned to the thread
            return;
        }
        // The prefix goes into the five bytes the encoder left free: one write for the whole message.
        buffer[0] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(1), (uint)length);
        Body().Write(buffer.AsSpan(0, encoder.Length));
    }

    /// <summary>Sends a message already encoded (callbacks).</summary>
    public void SendMessage(ReadOnlySpan<byte> message)
    {
        Span<byte> prefix = stackalloc byte[5];
        prefix[0] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(prefix[1..], (uint)message.Length);
        PipeWriter body = Body();
        body.Write(prefix);
        body.Write(message);
    }

    // The response body; the content type is set before the first message.
    private PipeWriter Body()
    {
        HttpResponse response = context.Response;
        if (!HasResponse && !response.HasStarted)
        {
            response.ContentType = GrpcProtocol.ContentType;
            // Small messages on this stream still go uncompressed: their flag says so.
            if (gzipResponses) response.Headers[GrpcProtocol.EncodingHeader] = "gzip";
        }
        HasResponse = true;
        return response.BodyWriter;
    }

    public void Dispose()
    {
        _request.Dispose();
        _request = default;
    }
}
