using System.Buffers.Binary;
using System.IO.Compression;
using System.Net;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.Extensions.Logging.Abstractions;
using SidecarKit.Hosting;
using SidecarKit.Rpc;
using SidecarKit.Samples.Demo;
using SidecarKit.Tests.Support;
using SidecarKit.Transports.Grpc.Server;

namespace SidecarKit.Transports.Grpc.Tests;

/// <summary>
/// gRPC's length-prefixed messages (a compressed flag, a 4-byte big-endian length, the message) fuzzed against the real
/// server in this process (Kestrel, grpc-dotnet, our gate, marshallers and gzip): random, mutated, truncated and
/// concatenated frames, plain or gzip, to a unary method. Every answer is HTTP 200 with a documented gRPC status (OK,
/// INVALID_ARGUMENT, INTERNAL, UNIMPLEMENTED, RESOURCE_EXHAUSTED; UNKNOWN only where grpc-dotnet answers it before our
/// code runs, see <see cref="GrpcDotnetAnswersUnknown"/>), never a reset, and the server still serves afterwards. Seeded: <c>SIDECARKIT_FUZZ_SEED</c> replays a failure (see <see cref="Fuzz"/>).
/// </summary>
public sealed class GrpcFrameFuzzTests : IAsyncLifetime
{
    private ISidecarServer _server = null!;
    private readonly HttpClient _http = new(new SocketsHttpHandler { EnableMultipleHttp2Connections = false });

    // The demo contract with no behaviour: every failure seen comes from reading the request, not from a handler.
    private sealed class Defaults : IDemo
    {
        public Task<int> AddAsync(int a, int b, CancellationToken ct) => Task.FromResult(0);
        public Task<Person> EchoAsync(Person person, CancellationToken ct) => Task.FromResult(person);
        public Task<double> DivideAsync(double dividend, double divisor, CancellationToken ct) => Task.FromResult(0d);
        public async IAsyncEnumerable<int> CountAsync(int to, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct) { await Task.CompletedTask; yield break; }
        public Task<string> SleepAsync(int milliseconds, CancellationToken ct) => Task.FromResult("");
        public Task<byte[]> BlobAsync(int size, CancellationToken ct) => Task.FromResult(Array.Empty<byte>());
        public void Log(string message) { }
        public Task ExitAsync(int code) => Task.CompletedTask;
        public Task<int> WorkAsync(int steps, CancellationToken ct) => Task.FromResult(0);
        public Task<long> SumAsync(IAsyncEnumerable<int> values, CancellationToken ct) => Task.FromResult(0L);
        public IAsyncEnumerable<string> ChatAsync(string prefix, IAsyncEnumerable<string> lines, CancellationToken ct) => lines;
        public Task<double> AreaAsync(SidecarKit.Samples.Demo.Shape shape, CancellationToken ct) => Task.FromResult(0d);
        public Task<int> StepsAsync(int steps, IProgress<int> progress, CancellationToken ct) => Task.FromResult(0);
        public Task<string> UploadAsync(Stream data, CancellationToken ct) => Task.FromResult("");
        public Task<Stream> DownloadAsync(long size, CancellationToken ct) => Task.FromResult<Stream>(new MemoryStream());
        public Task<SidecarKit.Samples.Demo.Sample> SampleAsync(SidecarKit.Samples.Demo.Sample sample, CancellationToken ct) => Task.FromResult(sample);
    }

    public async Task InitializeAsync()
    {
        var context = new SidecarServerContext(new SidecarHostOptions { Transport = "grpc" }, null, NullLoggerFactory.Instance,
            [Descriptor<IDemo>()], _ => new RpcHandlerTable().AddContract<IDemo>(new Defaults()));
        _server = await GrpcServer.StartAsync(context, unix: false, new GrpcServerOptions { MaxReceiveMessageSize = 64 * 1024 }, CancellationToken.None);
        _server.SetServing(true);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private static ContractDescriptor Descriptor<T>() where T : class, ISidecarContract<T> => T.Descriptor;

    private static byte[] Frame(byte[] message, bool compressed = false)
    {
        byte[] framed = new byte[5 + message.Length];
        framed[0] = compressed ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(framed.AsSpan(1), (uint)message.Length);
        message.CopyTo(framed, 5);
        return framed;
    }

    private static byte[] Gzip(byte[] data)
    {
        var output = new MemoryStream();
        using (var zip = new GZipStream(output, CompressionLevel.Fastest)) zip.Write(data);
        return output.ToArray();
    }

    private async Task<(HttpStatusCode Http, string? Status, string? Message)> SendAsync(string path, byte[] body, bool gzip)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://{_server.ListenInfo}{path}")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        if (gzip) request.Headers.TryAddWithoutValidation("grpc-encoding", "gzip");
        using HttpResponseMessage response = await _http.SendAsync(request);
        _ = await response.Content.ReadAsByteArrayAsync();
        string? Get(string name) => response.TrailingHeaders.TryGetValues(name, out var t) ? t.First() : response.Headers.TryGetValues(name, out var h) ? h.First() : null;
        return (response.StatusCode, Get("grpc-status"), Get("grpc-message"));
    }

    // AddRequest { a = 2; b = 3; }, and EchoRequest { person = { name, age, tags, address } }.
    private static readonly byte[] s_add = [0x08, 0x02, 0x10, 0x03];
    private static readonly byte[] s_echo = Convert.FromHexString("0A1B0A034164611024" + "1A046D617468" + "220C0A0531204D61696E1203" + "4C6F6E");

    private static readonly string[] s_documented = ["0", "3", "8", "12", "13"];

    // Where grpc-dotnet answers UNKNOWN ("Exception was thrown by handler") before any of our code runs: a compressed flag
    // other than 0 or 1 (kept as such by GrpcProtocolTests), and, found by this fuzz (default seed), a length prefix of
    // 2 GiB or more, which is not RESOURCE_EXHAUSTED as a smaller oversize one is. Open: see the report of issue 11.
    private static bool GrpcDotnetAnswersUnknown(byte[] body)
    {
        for (long at = 0; at + 5 <= body.Length; )
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan((int)at + 1));
            if (body[at] > 1 || length > int.MaxValue) return true;
            at += 5 + length;
        }
        return body.Length > 0 && body[0] > 1;
    }

    [Fact]
    public void Any_frames_are_answered_with_a_documented_status_and_the_server_goes_on()
    {
        Gen<byte[]> messages = Gen.Frequency((2, Gen.Elements(s_add, s_echo)), (1, Fuzz.Bytes(64)));
        Gen<(byte[] Body, bool Gzip)> frames = Gen.Frequency(
            (3, messages.Select(m => (Frame(m), false))),
            (2, messages.Select(m => (Frame(Gzip(m), compressed: true), true))),
            (1, from m in messages from n in Gen.Choose(2, 3) select (Enumerable.Repeat(Frame(m), n).SelectMany(f => f).ToArray(), false)));
        Gen<(byte[] Body, bool Gzip, string Path)> inputs =
            from f in Gen.Frequency((1, frames), (3, frames.SelectMany(f => Fuzz.Mutated(Gen.Constant(f.Body)).Select(b => (b, f.Gzip)))))
            from path in Gen.Elements("/sidecarkit.demo.Demo/Add", "/sidecarkit.demo.Demo/Echo")
            select (f.Item1, f.Item2, path);
        Fuzz.Check("grpc/frames", inputs, input =>
        {
            var (http, status, message) = SendAsync(input.Path, input.Body, input.Gzip).GetAwaiter().GetResult();
            Assert.True(http == HttpStatusCode.OK && status is not null && (s_documented.Contains(status) || status == "2" && GrpcDotnetAnswersUnknown(input.Body)),
                $"{input.Path} {(input.Gzip ? "gzip " : "")}{Fuzz.Show(input.Body)}: HTTP {(int)http}, grpc-status {status} ({message})");
            return true;
        }, maxTest: 200);
        Assert.Equal("0", SendAsync("/sidecarkit.demo.Demo/Add", Frame(s_add), gzip: false).GetAwaiter().GetResult().Status);
    }
}
