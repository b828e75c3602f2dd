using System.Buffers.Binary;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace SidecarKit.Benchmarks.Peers;

/// <summary>
/// The HTTP/2 floor of the gRPC bulk rows: plain Kestrel, h2c on a Unix socket, no gRPC. <c>GET /down/N</c> answers N
/// zero bytes in 64 KiB writes; <c>POST /up</c> reads the request body (and with <c>?hash=1</c> hashes it with SHA-256
/// as it arrives, what <c>demo.upload</c> does) and answers the byte count as 8 bytes. What the carrier under a gRPC
/// stream gives when nothing but HTTP/2 runs on it: Kestrel and <c>SocketsHttpHandler</c> with their defaults.
/// </summary>
internal static class PlainHttp2BulkServer
{
    private const int ChunkSize = 64 * 1024;

    public static async Task ServeAsync(string path)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders().AddConsole().SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = null;   // as SidecarKit's gRPC server: no body limit, no minimum request data rate
            kestrel.Limits.MinRequestBodyDataRate = null;
            kestrel.ListenUnixSocket(path, listen => listen.Protocols = HttpProtocols.Http2);
        });
        await using WebApplication app = builder.Build();
        app.Run(HandleAsync);
        await app.StartAsync();

        Console.Error.WriteLine("listening");
        await StandardInputEnd.WaitAsync();
        await app.StopAsync();
    }

    private static async Task HandleAsync(HttpContext http)
    {
        string route = http.Request.Path.Value ?? "";
        byte[] chunk = new byte[ChunkSize];
        if (HttpMethods.IsGet(http.Request.Method) && route.StartsWith("/down/", StringComparison.Ordinal) && long.TryParse(route.AsSpan(6), out long size))
        {
            http.Response.ContentType = "application/octet-stream";
            for (long left = size; left > 0;)
            {
                int n = (int)Math.Min(chunk.Length, left);
                await http.Response.Body.WriteAsync(chunk.AsMemory(0, n), http.RequestAborted);
                left -= n;
            }
        }
        else if (HttpMethods.IsPost(http.Request.Method) && route == "/up")
        {
            using IncrementalHash? hash = http.Request.Query["hash"] == "1" ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
            long read = 0;
            int n;
            while ((n = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
            {
                hash?.AppendData(chunk, 0, n);
                read += n;
            }
            hash?.GetHashAndReset();
            BinaryPrimitives.WriteInt64LittleEndian(chunk, read);
            await http.Response.Body.WriteAsync(chunk.AsMemory(0, 8), http.RequestAborted);
        }
        else
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
        }
    }
}
