namespace SidecarKit.Transports.Grpc;

/// <summary>Settings of the gRPC server a sidecar runs for <c>--transport grpc</c> and <c>grpc-unix</c>.</summary>
public sealed class GrpcServerOptions
{
    /// <summary>The largest request message accepted, after decompression; larger ones end the call with <c>RESOURCE_EXHAUSTED</c>. Default 4 MiB, as in every gRPC implementation.</summary>
    public int MaxReceiveMessageSize { get; set; } = GrpcProtocol.DefaultMaxReceiveMessageSize;

    /// <summary>The largest response message sent; a larger result ends the call with <c>RESOURCE_EXHAUSTED</c>. Default: no limit.</summary>
    public int? MaxSendMessageSize { get; set; }

    /// <summary>
    /// Whether responses are gzip-compressed for clients whose <c>grpc-accept-encoding</c> names gzip (grpcio, grpc-js
    /// and this toolkit's client all send it): every message of such a call (grpc-dotnet's
    /// <c>ResponseCompressionAlgorithm</c>). Default <see langword="false"/>:
    /// on loopback, compression costs more time than the bytes it saves; turn it on for large, compressible results.
    /// </summary>
    public bool CompressResponses { get; set; }

    /// <summary>How many calls one HTTP/2 connection may run at once (<c>SETTINGS_MAX_CONCURRENT_STREAMS</c>). Default 256.</summary>
    public int MaxConcurrentStreams { get; set; } = 256;
}
