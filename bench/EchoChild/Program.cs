using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

// The raw floors: read 16-byte lines and write each one straight back, flushing per line.
//   EchoChild                 on stdio, opened exactly the way the SidecarKit sidecar host opens it
//                             (Console.OpenStandardInput/Output wrapped in pipes)
//   EchoChild --unix <path>   on a Unix socket: listens, serves one connection with async socket I/O
//   EchoChild --grpc          a hand-written gRPC echo on Kestrel (h2c, loopback TCP): every call's request message
//                             comes back as its response, then grpc-status 0; no protobuf, no routing
// so the only difference to the demo sidecar is everything SidecarKit does per message. Exits at end of input.
if (args.Length == 1 && args[0] == "--grpc")
{
    var options = new KestrelServerOptions { AddServerHeader = false, ApplicationServices = new ServiceCollection().BuildServiceProvider() };
    options.Limits.Http2.MaxStreamsPerConnection = 256;
    options.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2);
    using var server = new KestrelServer(Options.Create(options),
        new SocketTransportFactory(Options.Create(new SocketTransportOptions()), NullLoggerFactory.Instance), NullLoggerFactory.Instance);
    await server.StartAsync(new GrpcEcho(), CancellationToken.None);
    Console.Error.WriteLine("listening " + new Uri(server.Features.Get<IServerAddressesFeature>()!.Addresses.First()).Authority);
    using Stream stdin = Console.OpenStandardInput();
    while (await stdin.ReadAsync(new byte[64]) > 0) { }
    await server.StopAsync(CancellationToken.None);
    return 0;
}
if (args.Length >= 1 && args[0] == "--bulk")
{
    // The bulk floor: copy bytes one way, as fast as the carrier goes. Each request is an 8-byte little-endian length:
    // positive, that many bytes follow and are read and dropped (with bit 62 set: and hashed with SHA-256 as they
    // arrive, the work demo.upload does), then one byte answers; negative, that many bytes are written back. On stdio,
    // or on a Unix socket with --bulk <path>; blocking reads and writes, as cat's.
    if (args.Length == 2)
    {
        using var bulkListener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        bulkListener.Bind(new UnixDomainSocketEndPoint(args[1]));
        bulkListener.Listen(1);
        Console.Error.WriteLine("listening");
        using Socket bulkClient = bulkListener.Accept(); // not AcceptAsync: the socket stays blocking, as cat's would be
        using var bulkStream = new NetworkStream(bulkClient, ownsSocket: false);
        Bulk(bulkStream, bulkStream);
    }
    else
    {
        Bulk(Console.OpenStandardInput(), Console.OpenStandardOutput());
    }
    return 0;
}
if (args.Length == 2 && args[0] == "--unix")
{
    using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    listener.Bind(new UnixDomainSocketEndPoint(args[1]));
    listener.Listen(1);
    Console.Error.WriteLine("listening"); // the client connects after this line
    using Socket client = await listener.AcceptAsync();
    using var stream = new NetworkStream(client, ownsSocket: false);
    await EchoAsync(PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 256 * 1024, minimumReadSize: 4096)), PipeWriter.Create(stream));
    return 0;
}

await EchoAsync(PipeReader.Create(Console.OpenStandardInput(), new StreamPipeReaderOptions(bufferSize: 256 * 1024, minimumReadSize: 4096)),
    PipeWriter.Create(Console.OpenStandardOutput()));
return 0;

static async Task EchoAsync(PipeReader input, PipeWriter output)
{
    while (true)
    {
        ReadResult result = await input.ReadAsync();
        ReadOnlySequence<byte> buffer = result.Buffer;
        while (buffer.PositionOf((byte)'\n') is SequencePosition newline)
        {
            ReadOnlySequence<byte> line = buffer.Slice(0, buffer.GetPosition(1, newline));
            foreach (ReadOnlyMemory<byte> segment in line)
                output.Write(segment.Span);
            FlushResult flushed = await output.FlushAsync();
            if (flushed.IsCompleted) return;
            buffer = buffer.Slice(line.End);
        }
        input.AdvanceTo(buffer.Start, buffer.End);
        if (result.IsCompleted) break;
    }
    await output.CompleteAsync();
}

// Blocking reads and writes on this thread, as cat copies: no hand-off per 64 KiB to the thread pool (an async socket
// read that finds nothing yet completes on an epoll thread and resumes on the pool), which made this floor slower than
// the SidecarKit rows it is compared with in hours when waking a thread is slow.
static void Bulk(Stream input, Stream output)
{
    byte[] header = new byte[8];
    byte[] buffer = new byte[256 * 1024]; // reads of up to the SidecarKit connection's read segment, writes of 64 KiB chunks
    const int Chunk = 64 * 1024;
    while (input.ReadAtLeast(header, 8, throwOnEndOfStream: false) == 8)
    {
        long length = BitConverter.ToInt64(header);
        if (length >= 0)
        {
            const long Hashed = 1L << 62;
            using var sha = (length & Hashed) != 0 ? System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256) : null;
            for (long left = length & ~Hashed; left > 0;)
            {
                int n = input.Read(buffer.AsSpan(0, (int)Math.Min(buffer.Length, left)));
                if (n == 0) return;
                sha?.AppendData(buffer, 0, n);
                left -= n;
            }
            sha?.GetHashAndReset();
            output.WriteByte(1);
        }
        else
        {
            for (long left = -length; left > 0;)
            {
                int n = (int)Math.Min(Chunk, left);
                output.Write(buffer.AsSpan(0, n));
                left -= n;
            }
        }
        output.Flush();
    }
}

/// <summary>The raw gRPC floor: echoes the request body (one framed message) and ends with grpc-status 0.</summary>
sealed class GrpcEcho : IHttpApplication<HttpContext>
{
    public HttpContext CreateContext(IFeatureCollection contextFeatures) => new DefaultHttpContext(contextFeatures);

    public void DisposeContext(HttpContext context, Exception? exception) { }

    public async Task ProcessRequestAsync(HttpContext context)
    {
        PipeReader body = context.Request.BodyReader;
        context.Response.ContentType = "application/grpc";
        while (true)
        {
            ReadResult read = await body.ReadAsync();
            foreach (ReadOnlyMemory<byte> segment in read.Buffer)
                context.Response.BodyWriter.Write(segment.Span);
            body.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted) break;
        }
        context.Response.AppendTrailer("grpc-status", "0");
    }
}
