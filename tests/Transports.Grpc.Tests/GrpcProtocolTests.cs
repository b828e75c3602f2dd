using System.Buffers.Binary;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using SidecarKit.Processes;
using SidecarKit.Samples.Demo;

namespace SidecarKit.Transports.Grpc.Tests;

/// <summary>One demo sidecar on gRPC with a known token, for the protocol tests.</summary>
public sealed class GrpcSidecarFixture : IAsyncLifetime
{
    public const string Token = "0123456789abcdef0123456789abcdef";

    public SidecarProcess Sidecar { get; private set; } = null!;

    public string Address => Sidecar.ReadyInfo.ListenInfo!;

    public async Task InitializeAsync()
    {
        SidecarProcessOptions options = GrpcSidecarTests.Options("grpc");
        options.Environment["SIDECAR_TOKEN"] = Token;
        Sidecar = await SidecarProcess.StartAsync(options);
    }

    public async Task DisposeAsync() => await Sidecar.DisposeAsync();
}

/// <summary>
/// The server against the gRPC-over-HTTP/2 specification, with raw HTTP/2 requests: bad frames, sizes, content types,
/// encodings, tokens and health, each answered with the right status, and the server still serving after each.
/// </summary>
public class GrpcProtocolTests(GrpcSidecarFixture fixture) : IClassFixture<GrpcSidecarFixture>, IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { EnableMultipleHttp2Connections = false });

    private sealed record RawResponse(HttpStatusCode Http, HttpResponseHeaders Headers, HttpResponseHeaders Trailers, byte[] Body, string? ContentType)
    {
        public string? Status => Get("grpc-status");
        public string? Message => Get("grpc-message");

        // The status is in the trailers, or in the headers of a trailers-only response.
        public string? Get(string name)
            => Trailers.TryGetValues(name, out var t) ? t.First() : Headers.TryGetValues(name, out var h) ? h.First() : null;
    }

    private static byte[] Frame(byte[] message, bool compressed = false, uint? length = null)
    {
        byte[] framed = new byte[5 + message.Length];
        framed[0] = compressed ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(framed.AsSpan(1), length ?? (uint)message.Length);
        message.CopyTo(framed, 5);
        return framed;
    }

    // AddRequest { a = 2; b = 3; }
    private static readonly byte[] s_add = [0x08, 0x02, 0x10, 0x03];

    private async Task<RawResponse> SendAsync(string path, byte[] body, string contentType = "application/grpc", bool token = true,
        string? address = null, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://{address ?? fixture.Address}{path}")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        request.Headers.TryAddWithoutValidation("te", "trailers");
        if (token) request.Headers.TryAddWithoutValidation("authorization", "Bearer " + GrpcSidecarFixture.Token);
        foreach ((string name, string value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        using HttpResponseMessage response = await _http.SendAsync(request);
        byte[] bytes = await response.Content.ReadAsByteArrayAsync();
        return new RawResponse(response.StatusCode, response.Headers, response.TrailingHeaders, bytes, response.Content.Headers.ContentType?.MediaType);
    }

    private async Task AssertStillServingAsync()
    {
        RawResponse ok = await SendAsync("/sidecarkit.demo.Demo/Add", Frame(s_add));
        Assert.Equal("0", ok.Status);
        Assert.Equal(Frame([0x08, 0x05]), ok.Body);   // AddResponse { result = 5; }
    }

    [Fact]
    public async Task A_raw_unary_call_gets_the_message_then_status_0_in_the_trailers()
    {
        RawResponse r = await SendAsync("/sidecarkit.demo.Demo/Add", Frame(s_add));
        Assert.Equal(HttpStatusCode.OK, r.Http);
        Assert.Equal(Frame([0x08, 0x05]), r.Body);
        Assert.True(r.Trailers.Contains("grpc-status"), "status in the trailers");
        Assert.False(r.Headers.Contains("grpc-status"), "not in the headers once a message was sent");
        Assert.Equal("application/grpc", r.ContentType);
    }

    [Theory]
    [InlineData("/sidecarkit.demo.Demo/Nope")]
    [InlineData("/no.such.Service/Add")]
    [InlineData("/")]
    public async Task Unknown_service_or_method_is_UNIMPLEMENTED_trailers_only(string path)
    {
        RawResponse r = await SendAsync(path, Frame(s_add));
        Assert.Equal(HttpStatusCode.OK, r.Http);
        Assert.Equal("12", r.Status);
        Assert.True(r.Headers.Contains("grpc-status"), "trailers-only: the status is in the headers");
        Assert.Empty(r.Body);
        await AssertStillServingAsync();
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("text/plain")]
    [InlineData("application/grpcx")]
    public async Task A_content_type_that_is_not_gRPC_is_HTTP_415(string contentType)
    {
        RawResponse r = await SendAsync("/sidecarkit.demo.Demo/Add", Frame(s_add), contentType);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, r.Http);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Content_type_with_a_subtype_is_accepted()
    {
        RawResponse r = await SendAsync("/sidecarkit.demo.Demo/Add", Frame(s_add), "application/grpc+proto");
        Assert.Equal("0", r.Status);
    }

    [Fact]
    public async Task An_oversize_message_is_RESOURCE_EXHAUSTED_before_its_bytes_are_read()
    {
        // The prefix announces 100 MB; only 10 bytes follow.
        RawResponse r = await SendAsync("/sidecarkit.demo.Demo/Echo", Frame(new byte[10], length: 100_000_000));
        Assert.Equal("8", r.Status);
        Assert.Contains("exceeds the maximum", r.Message);   // grpc-dotnet's text
        // 4 MiB + 1 byte really sent: refused too.
        RawResponse big = await SendAsync("/sidecarkit.demo.Demo/Log", Frame(new byte[4 * 1024 * 1024 + 1]));
        Assert.Equal("8", big.Status);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Malformed_frames_are_INTERNAL()
    {
        Assert.Equal("13", (await SendAsync("/sidecarkit.demo.Demo/Add", Frame([0x08, 0x02], length: 10))).Status);   // ends inside the message
        Assert.Equal("13", (await SendAsync("/sidecarkit.demo.Demo/Add", [0x00, 0x00])).Status);                     // ends inside the prefix
        Assert.Equal("13", (await SendAsync("/sidecarkit.demo.Demo/Add", [])).Status);                              // no message at all
        Assert.Equal("13", (await SendAsync("/sidecarkit.demo.Demo/Add", [.. Frame(s_add), .. Frame(s_add)])).Status); // two for a unary call
        byte[] badFlag = Frame(s_add);
        badFlag[0] = 7;
        Assert.Equal("2", (await SendAsync("/sidecarkit.demo.Demo/Add", badFlag)).Status);   // grpc-dotnet: UNKNOWN for a bad flag
        await AssertStillServingAsync();
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF })]                        // a truncated varint tag
    [InlineData(new byte[] { 0x0A, 0x05, 0x41 })]                        // a length past the end
    [InlineData(new byte[] { 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 })]  // an 11-byte varint
    [InlineData(new byte[] { 0x0A, 0x01, 0x41 })]                        // a as a string
    [InlineData(new byte[] { 0x0B, 0x0C })]                              // a group (wire type 3)
    public async Task Arguments_that_do_not_decode_are_INVALID_ARGUMENT_with_the_code(byte[] message)
    {
        RawResponse r = await SendAsync("/sidecarkit.demo.Demo/Add", Frame(message));
        Assert.Equal("3", r.Status);
        Assert.Equal("-32602", r.Get("sidecar-error-code"));
        Assert.Contains("demo.add", r.Message);
        await AssertStillServingAsync();
    }

    [Theory]
    [InlineData("99999999H")]   // 11,400 years: longer than a .NET timer counts
    [InlineData("1440H")]       // 60 days
    [InlineData("5S")]
    public async Task Any_valid_grpc_timeout_is_taken(string timeout)
    {
        RawResponse r = await SendAsync("/sidecarkit.demo.Demo/Add", Frame(s_add), headers: ("grpc-timeout", timeout));
        Assert.Equal((HttpStatusCode.OK, "0"), (r.Http, r.Status));
        await using var channel = GrpcSidecarChannel.Create(fixture.Address, new GrpcClientOptions { Token = GrpcSidecarFixture.Token });
        using (SidecarKit.Rpc.SidecarCall.WithTimeout(TimeSpan.FromDays(60)))
            Assert.Equal(3, await channel.GetClient<IDemo>().AddAsync(1, 2));
    }

    [Fact]
    public async Task Int32_fields_take_values_as_proto3_parsers_do()
    {
        // a = -1 in the five bytes some encoders use (truncated to 32 bits, as C++ casts it), b = 3: 2.
        RawResponse five = await SendAsync("/sidecarkit.demo.Demo/Add", Frame([0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x10, 0x03]));
        Assert.Equal(Frame([0x08, 0x02]), five.Body);
        // a = -1 in the ten bytes proto3 prescribes; a repeated scalar field takes its last value (a = 7).
        RawResponse ten = await SendAsync("/sidecarkit.demo.Demo/Add", Frame([0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x10, 0x03, 0x08, 0x07]));
        Assert.Equal(Frame([0x08, 0x0A]), ten.Body);
        // Unknown fields of every wire type are skipped.
        RawResponse unknown = await SendAsync("/sidecarkit.demo.Demo/Add", Frame([0x08, 0x01, 0x18, 0x05, 0x21, 1, 2, 3, 4, 5, 6, 7, 8, 0x2A, 0x01, 0x41, 0x35, 1, 2, 3, 4, 0x10, 0x01]));
        Assert.Equal(Frame([0x08, 0x02]), unknown.Body);
    }

    [Fact]
    public async Task Invalid_UTF8_in_a_string_is_INVALID_ARGUMENT()
    {
        // LogRequest { message = "\xC3\x28" }
        RawResponse r = await SendAsync("/sidecarkit.demo.Demo/Log", Frame([0x0A, 0x02, 0xC3, 0x28]));
        Assert.Equal("3", r.Status);
        Assert.Contains("UTF-8", GrpcProtocol.DecodeMessage(r.Message));
    }

    [Fact]
    public async Task A_gzip_bomb_is_refused_while_it_inflates_and_never_takes_its_memory()
    {
        // 1 GiB of zeros in about 1 MiB, to the health service (no token needed). grpc-dotnet stops inflating past
        // MaxReceiveMessageSize (4 MiB) whatever the provider (ours verifies the trailer): kept so, whichever changes.
        var bomb = new MemoryStream();
        using (var zip = new GZipStream(bomb, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 1024; i++) zip.Write(zeros);
        }
        Assert.True(bomb.Length < 4 * 1024 * 1024, $"{bomb.Length} bytes compressed");
        SidecarProcessOptions options = GrpcSidecarTests.Options("grpc");
        options.Environment["SIDECAR_TOKEN"] = GrpcSidecarFixture.Token;
        await using SidecarProcess own = await SidecarProcess.StartAsync(options);
        RawResponse r = await SendAsync("/grpc.health.v1.Health/Check", Frame(bomb.ToArray(), compressed: true), token: false,
            address: own.ReadyInfo.ListenInfo, headers: ("grpc-encoding", "gzip"));
        Assert.Equal("8", r.Status);   // RESOURCE_EXHAUSTED
        // The sidecar's peak resident memory stayed far below what the bomb inflates to.
        string hwm = File.ReadAllLines($"/proc/{own.ProcessId}/status").Single(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        long peakKiB = long.Parse(hwm.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(peakKiB < 512 * 1024, $"peak resident memory {peakKiB / 1024} MiB");
        Assert.Equal(Frame([0x08, 0x01]), (await SendAsync("/grpc.health.v1.Health/Check", Frame([]), address: own.ReadyInfo.ListenInfo)).Body);
    }

    [Fact]
    public async Task Gzip_requests_are_accepted_and_other_encodings_refused()
    {
        var compressed = new MemoryStream();
        using (var zip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true)) zip.Write(s_add);
        RawResponse gz = await SendAsync("/sidecarkit.demo.Demo/Add", Frame(compressed.ToArray(), compressed: true), headers: ("grpc-encoding", "gzip"));
        Assert.Equal("0", gz.Status);
        Assert.Equal(Frame([0x08, 0x05]), gz.Body);

        // An empty message compressed by grpc-dotnet is zero bytes (GZipStream writes nothing for it): Add(0, 0).
        RawResponse empty = await SendAsync("/sidecarkit.demo.Demo/Add", Frame([], compressed: true), headers: ("grpc-encoding", "gzip"));
        Assert.Equal("0", empty.Status);
        Assert.Equal(Frame([]), empty.Body);

        RawResponse noEncoding = await SendAsync("/sidecarkit.demo.Demo/Add", Frame(compressed.ToArray(), compressed: true));
        Assert.Equal("13", noEncoding.Status);

        RawResponse notGzip = await SendAsync("/sidecarkit.demo.Demo/Add", Frame([1, 2, 3, 4], compressed: true), headers: ("grpc-encoding", "gzip"));
        Assert.Equal("13", notGzip.Status);   // INTERNAL for a message that does not inflate (the gRPC spec)

        RawResponse brotli = await SendAsync("/sidecarkit.demo.Demo/Add", Frame(s_add), headers: ("grpc-encoding", "br"));
        Assert.Equal("12", brotli.Status);
        Assert.Equal("identity,gzip", brotli.Get("grpc-accept-encoding"));

        // Our client compresses when asked.
        await using var channel = GrpcSidecarChannel.Create(fixture.Address, new GrpcClientOptions { Token = GrpcSidecarFixture.Token, CompressRequests = true });
        var person = new Person(new string('x', 10_000), 1, ["a"], null, null);
        Assert.Equal(person.Name, (await channel.GetClient<IDemo>().EchoAsync(person)).Name);
        Assert.Equal(0, await channel.GetClient<IDemo>().AddAsync(0, 0));   // empty messages both ways
        await AssertStillServingAsync();
    }

    public static TheoryData<string, byte[]> TruncatedGzip()
    {
        var compressed = new MemoryStream();
        using (var zip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true)) zip.Write(s_add);
        byte[] whole = compressed.ToArray();
        return new()
        {
            { "the 10-byte header alone", whole[..10] },
            { "the header's magic and method, then garbage", [0x1f, 0x8b, 0x08, 0x00, .. "garbage, not deflate"u8] },
            { "the body without its CRC and size trailer", whole[..^8] },
            { "the body and half the trailer", whole[..^4] },
            { "the body with its last byte cut", whole[..^9] },
            { "a whole message, then more bytes", [.. whole, 0x00] },
        };
    }

    // Issue 11, item 3: GZipStream reads a truncated member as a shorter one without complaint, so grpc-dotnet's own
    // provider ran Add with default or partial arguments. The gRPC spec wants INTERNAL, and the method must not run:
    // Add answers 5 for these arguments, so no message in the answer means it was not called.
    [Theory]
    [MemberData(nameof(TruncatedGzip))]
    public async Task A_gzip_message_that_does_not_decompress_completely_is_INTERNAL_and_nothing_runs(string what, byte[] message)
    {
        RawResponse r = await SendAsync("/sidecarkit.demo.Demo/Add", Frame(message, compressed: true), headers: ("grpc-encoding", "gzip"));
        Assert.True(r.Status == "13", $"{what}: status {r.Status} ({r.Message})");
        Assert.Empty(r.Body);
        await AssertStillServingAsync();
    }

    // Issue 11, "also": a TLS ClientHello on the plaintext port was held about 131 s (Kestrel's keep-alive timeout)
    // before its GOAWAY when it arrived in pieces shorter than the 24-byte HTTP/2 preface Kestrel waits for. A TLS
    // record can never become HTTP/2, so its first byte is enough. The 20 s here only guard against a hang; a server
    // that closes at once passes in milliseconds.
    [Fact]
    public async Task The_start_of_a_TLS_client_hello_on_the_plaintext_port_is_closed_at_once()
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(IPEndPoint.Parse(fixture.Address));
        // A TLS record header (handshake, TLS 1.0 record version, 512 bytes) and a ClientHello's first bytes: the rest
        // of the hello never comes.
        await tcp.GetStream().WriteAsync(new byte[] { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03 });
        await AssertClosedByTheServerAsync(tcp, "the start of a TLS ClientHello");
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task A_whole_TLS_handshake_attempt_on_the_plaintext_port_is_closed_at_once()
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(IPEndPoint.Parse(fixture.Address));
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var tls = new System.Net.Security.SslStream(tcp.GetStream(), leaveInnerStreamOpen: true, (_, _, _, _) => true);
        try
        {
            await tls.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions { TargetHost = "localhost" }, guard.Token);
            Assert.Fail("a TLS handshake succeeded on the plaintext port");
        }
        catch (Exception e) when (e is System.Security.Authentication.AuthenticationException or IOException) { }
        catch (OperationCanceledException) { Assert.Fail("the TLS ClientHello was held open for 20 s"); }
        // Whatever the TLS client made of the answer, the server must end the connection.
        await AssertClosedByTheServerAsync(tcp, "a TLS ClientHello");
        await AssertStillServingAsync();
    }

    // Reads to the end of the connection; fails if the server still holds it open after 20 s (a hang guard).
    private static async Task AssertClosedByTheServerAsync(System.Net.Sockets.TcpClient tcp, string what)
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        byte[] buffer = new byte[4096];
        try
        {
            while (await tcp.Client.ReceiveAsync(buffer, System.Net.Sockets.SocketFlags.None, guard.Token) > 0) { }
        }
        catch (System.Net.Sockets.SocketException) { }   // reset: closed too
        catch (OperationCanceledException) { Assert.Fail($"the connection was still open 20 s after {what}"); }
    }

    [Fact]
    public async Task Responses_are_gzipped_when_the_server_compresses_and_the_client_takes_gzip()
    {
        SidecarProcessOptions options = GrpcSidecarTests.Options("grpc");
        options.Environment["SIDECAR_TOKEN"] = GrpcSidecarFixture.Token;
        options.Environment["DEMO_GRPC_COMPRESS"] = "1";   // GrpcServerOptions.CompressResponses
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options);
        string address = sidecar.ReadyInfo.ListenInfo!;

        // BlobRequest { size = 16384 } → BlobResponse { result = 16 KiB, byte i = i % 256 }.
        byte[] blobRequest = Frame([0x08, 0x80, 0x80, 0x01]);
        byte[] blobResponse = [0x0A, 0x80, 0x80, 0x01, .. Enumerable.Range(0, 16384).Select(i => (byte)i)];
        (string, string) takesGzip = ("grpc-accept-encoding", "identity,deflate,gzip");

        RawResponse gz = await SendAsync("/sidecarkit.demo.Demo/Blob", blobRequest, address: address, headers: takesGzip);
        Assert.Equal(("0", "gzip"), (gz.Status, gz.Get("grpc-encoding")));
        Assert.Equal(1, gz.Body[0]);   // the compressed flag
        Assert.Equal((uint)(gz.Body.Length - 5), BinaryPrimitives.ReadUInt32BigEndian(gz.Body.AsSpan(1)));
        Assert.True(gz.Body.Length < blobResponse.Length / 4, $"{gz.Body.Length} bytes for {blobResponse.Length}");
        using (var unzip = new GZipStream(new MemoryStream(gz.Body, 5, gz.Body.Length - 5), CompressionMode.Decompress))
        {
            var inflated = new MemoryStream();
            unzip.CopyTo(inflated);
            Assert.Equal(blobResponse, inflated.ToArray());
        }

        // grpc-dotnet compresses every message of such a call, small ones too.
        RawResponse small = await SendAsync("/sidecarkit.demo.Demo/Add", Frame(s_add), address: address, headers: takesGzip);
        Assert.Equal(1, small.Body[0]);
        using (var unzip = new GZipStream(new MemoryStream(small.Body, 5, small.Body.Length - 5), CompressionMode.Decompress))
        {
            var inflated = new MemoryStream();
            unzip.CopyTo(inflated);
            Assert.Equal([0x08, 0x05], inflated.ToArray());
        }

        // A client that does not take gzip (or says nothing) gets identity.
        foreach (var headers in new[] { new[] { ("grpc-accept-encoding", "identity") }, Array.Empty<(string, string)>() })
        {
            RawResponse plain = await SendAsync("/sidecarkit.demo.Demo/Blob", blobRequest, address: address, headers: headers);
            Assert.Equal(("0", null), (plain.Status, plain.Get("grpc-encoding")));
            Assert.Equal(Frame(blobResponse), plain.Body);
        }

        // Our client reads compressed answers, unary and streamed (it sends grpc-accept-encoding: identity,gzip).
        await using var channel = GrpcSidecarChannel.Create(address, new GrpcClientOptions { Token = GrpcSidecarFixture.Token });
        IDemo demo = channel.GetClient<IDemo>();
        byte[] blob = await demo.BlobAsync(1 << 20);
        Assert.True(blob.Select((b, i) => b == (byte)i).All(same => same), "the 1 MiB blob came back wrong");
        var person = new Person(new string('é', 100_000), 7, ["x"], null, null);
        Assert.Equal(person.Name, (await demo.EchoAsync(person)).Name);
        Assert.Equal(Enumerable.Range(1, 5), await demo.CountAsync(5).ToListAsync());
        Assert.Equal(0, await demo.AddAsync(0, 0));   // an empty answer, compressed to zero bytes by grpc-dotnet
        // And a compressed response over the 4 MiB limit (after decompression) is refused by size, not read.
        await using var strict = GrpcSidecarChannel.Create(address, new GrpcClientOptions { Token = GrpcSidecarFixture.Token, MaxReceiveMessageSize = 64 * 1024 });
        var tooBig = await Assert.ThrowsAsync<GrpcStatusException>(() => strict.GetClient<IDemo>().BlobAsync(1 << 20));
        Assert.Equal(GrpcStatusCode.ResourceExhausted, tooBig.Status);
        Assert.Equal(3, await strict.GetClient<IDemo>().AddAsync(1, 2));
    }

    [Fact]
    public async Task Calls_without_the_token_are_UNAUTHENTICATED_and_health_needs_none()
    {
        RawResponse none = await SendAsync("/sidecarkit.demo.Demo/Add", Frame(s_add), token: false);
        Assert.Equal("16", none.Status);
        RawResponse wrong = await SendAsync("/sidecarkit.demo.Demo/Add", Frame(s_add), token: false, headers: ("authorization", "Bearer " + new string('0', 32)));
        Assert.Equal("16", wrong.Status);
        RawResponse basic = await SendAsync("/sidecarkit.demo.Demo/Add", Frame(s_add), token: false, headers: ("authorization", GrpcSidecarFixture.Token));
        Assert.Equal("16", basic.Status);

        await using var anonymous = GrpcSidecarChannel.Create(fixture.Address);
        var e = await Assert.ThrowsAsync<GrpcStatusException>(() => anonymous.GetClient<IDemo>().AddAsync(1, 2));
        Assert.Equal(GrpcStatusCode.Unauthenticated, e.Status);

        RawResponse health = await SendAsync("/grpc.health.v1.Health/Check", Frame([]), token: false);
        Assert.Equal("0", health.Status);
        Assert.Equal(Frame([0x08, 0x01]), health.Body);   // SERVING
        await AssertStillServingAsync();
    }

    [Theory]
    [InlineData("/sidecarkit.demo.Demo/Nope")]
    [InlineData("/no.such.Service/Add")]
    [InlineData("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo")]
    public async Task Without_the_token_paths_not_served_and_reflection_are_UNAUTHENTICATED_too(string path)
    {
        // The token is checked before anything is routed: what is served is not told to a caller without it.
        RawResponse r = await SendAsync(path, Frame(s_add), token: false);
        Assert.Equal("16", r.Status);
        Assert.True(r.Headers.Contains("grpc-status"), "trailers-only");
        Assert.Equal("12", (await SendAsync("/sidecarkit.demo.Demo/Nope", Frame(s_add))).Status);   // with it: not served
    }

    [Fact]
    public async Task Health_check_knows_the_served_services()
    {
        static byte[] Service(string name) => [0x0A, (byte)name.Length, .. System.Text.Encoding.ASCII.GetBytes(name)];
        Assert.Equal(Frame([0x08, 0x01]), (await SendAsync("/grpc.health.v1.Health/Check", Frame(Service("sidecarkit.demo.Demo")))).Body);
        Assert.Equal(Frame([0x08, 0x01]), (await SendAsync("/grpc.health.v1.Health/Check", Frame(Service("sidecarkit.system.System")))).Body);
        RawResponse unknown = await SendAsync("/grpc.health.v1.Health/Check", Frame(Service("no.Such")));
        Assert.Equal("5", unknown.Status);
    }

    public void Dispose() => _http.Dispose();
}
