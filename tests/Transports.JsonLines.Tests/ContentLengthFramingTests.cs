using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using SidecarKit.Rpc;
using SidecarKit.Rpc.Framing;
using SidecarKit.Tests.Support;

namespace SidecarKit.Transports.JsonLines.Tests;

/// <summary>
/// JSON-RPC on <c>Content-Length</c> headers: the same <see cref="JsonRpcProtocol"/> composed with
/// <see cref="ContentLengthFraming"/>, served by a connection and driven by raw bytes.
/// </summary>
public class ContentLengthFramingTests
{
    private sealed class RawServer : IAsyncDisposable
    {
        private readonly Pipe _toServer = new();
        private readonly Pipe _fromServer = new();

        public RawServer(JsonLinesOptions? limits = null)
        {
            Connection = new RpcConnection(new DuplexPipe(_toServer.Reader, _fromServer.Writer),
                new JsonRpcProtocol(new ContentLengthFraming((limits ?? new JsonLinesOptions()).MaxMessageSize), limits),
                new RpcHandlerTable().AddContract<ISpec>(new SpecService()));
            Connection.Start();
        }

        public RpcConnection Connection { get; }

        public async Task SendAsync(string text) => await _toServer.Writer.WriteAsync(Encoding.UTF8.GetBytes(text));

        public Task SendMessageAsync(string json) => SendAsync($"Content-Length: {Encoding.UTF8.GetByteCount(json)}\r\n\r\n{json}");

        /// <summary>Reads one message the server wrote, checking its header independently of the framing under test.</summary>
        public async Task<string> ReadMessageAsync()
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (true)
            {
                ReadResult result = await _fromServer.Reader.ReadAsync(cts.Token);
                string text = Encoding.UTF8.GetString(result.Buffer);
                int end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                if (end > 0)
                {
                    Assert.StartsWith("Content-Length: ", text);
                    int length = int.Parse(text[16..end]);
                    byte[] bytes = result.Buffer.ToArray();
                    int bodyStart = Encoding.UTF8.GetByteCount(text[..(end + 4)]);
                    if (bytes.Length >= bodyStart + length)
                    {
                        _fromServer.Reader.AdvanceTo(result.Buffer.GetPosition(bodyStart + length));
                        return Encoding.UTF8.GetString(bytes, bodyStart, length);
                    }
                }
                if (result.IsCompleted) throw new EndOfStreamException("The server closed its output.");
                _fromServer.Reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            }
        }

        public async Task<JsonElement> RoundTripAsync(string json)
        {
            await SendMessageAsync(json);
            return JsonDocument.Parse(await ReadMessageAsync()).RootElement.Clone();
        }

        public async ValueTask DisposeAsync()
        {
            _toServer.Writer.Complete();
            await Connection.DisposeAsync();
        }
    }

    [Fact]
    public async Task Answers_with_exactly_one_header_and_the_measured_body()
    {
        await using var server = new RawServer();
        await server.SendMessageAsync("""{"jsonrpc":"2.0","id":1,"method":"spec.greet","params":{"name":"Zoë"}}""");
        Assert.Equal("""{"jsonrpc":"2.0","id":1,"result":"Hello, Zoë"}""", await server.ReadMessageAsync());
    }

    [Fact]
    public async Task Messages_split_across_writes_and_joined_in_one_write_are_all_answered()
    {
        await using var server = new RawServer();
        string one = """{"jsonrpc":"2.0","id":1,"method":"spec.sum","params":[1,2,3]}""";
        string two = """{"jsonrpc":"2.0","id":2,"method":"spec.subtract","params":[9,4]}""";
        string both = $"Content-Length: {one.Length}\r\n\r\n{one}Content-Length: {two.Length}\r\n\r\n{two}";
        await server.SendAsync(both[..10]);
        await server.SendAsync(both[10..40]);
        await server.SendAsync(both[40..]);
        var answers = new[] { await server.ReadMessageAsync(), await server.ReadMessageAsync() }.Order().ToArray();
        Assert.Equal(["""{"jsonrpc":"2.0","id":1,"result":6}""", """{"jsonrpc":"2.0","id":2,"result":5}"""], answers);
    }

    [Fact]
    public async Task An_oversize_message_is_refused_before_its_body_arrives_and_the_connection_stays_usable()
    {
        await using var server = new RawServer(new JsonLinesOptions { MaxMessageSize = 4096 });
        // Only the header: the answer comes at once, so the 4 MB body is never waited for, let alone buffered.
        await server.SendAsync("Content-Length: 4000000\r\n\r\n");
        JsonElement refused = JsonDocument.Parse(await server.ReadMessageAsync()).RootElement;
        Assert.Equal(RpcErrorCodes.MessageTooLarge, refused.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Contains("4096", refused.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(JsonValueKind.Null, refused.GetProperty("id").ValueKind);

        string chunk = new('y', 64 * 1024);
        int sent = 0;
        for (; sent + chunk.Length <= 4_000_000; sent += chunk.Length) await server.SendAsync(chunk);
        await server.SendAsync(new string('y', 4_000_000 - sent));
        JsonElement ok = await server.RoundTripAsync("""{"jsonrpc":"2.0","id":"after","method":"spec.sum","params":[1,2,3]}""");
        Assert.Equal(6, ok.GetProperty("result").GetInt32());
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_a_parse_error_and_the_connection_stays_usable()
    {
        await using var server = new RawServer();
        JsonElement error = await server.RoundTripAsync("""{"jsonrpc":"2.0","id":1,""");
        Assert.Equal(RpcErrorCodes.ParseError, error.GetProperty("error").GetProperty("code").GetInt32());
        JsonElement empty = await server.RoundTripAsync("");
        Assert.Equal(RpcErrorCodes.ParseError, empty.GetProperty("error").GetProperty("code").GetInt32());
        JsonElement ok = await server.RoundTripAsync("""{"jsonrpc":"2.0","id":2,"method":"spec.sum","params":[1,1,1]}""");
        Assert.Equal(3, ok.GetProperty("result").GetInt32());
    }

    [Fact]
    public async Task A_json_line_sent_without_headers_closes_the_connection()
    {
        await using var server = new RawServer();
        await server.SendAsync("""{"jsonrpc":"2.0","id":1,"method":"spec.sum","params":[1,2,3]}""" + "\r\n\r\n");
        // Without a Content-Length the next message cannot be found: the connection ends (a healthy one never does by itself).
        await server.Connection.Completion.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData("Content-Type: application/json\r\n\r\n{}", "without Content-Length")]
    [InlineData("Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}", "more than one Content-Length")]
    [InlineData("Content-Length: -1\r\n\r\n{}", "not a non-negative decimal integer")]
    public void The_protocol_reports_a_broken_header_as_invalid_data_naming_the_framing(string input, string reason)
    {
        var protocol = new JsonRpcProtocol(new ContentLengthFraming());
        var buffer = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(input));
        InvalidDataException e = Assert.Throws<InvalidDataException>(() => protocol.TryReadMessage(ref buffer, false, out _));
        Assert.Contains("content-length framing", e.Message);
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public async Task Two_connections_on_content_length_framing_call_each_other_with_generated_proxies()
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        await using var client = new RpcConnection(new DuplexPipe(toClient.Reader, toServer.Writer), new JsonRpcProtocol(new ContentLengthFraming()));
        await using var server = new RpcConnection(new DuplexPipe(toServer.Reader, toClient.Writer), new JsonRpcProtocol(new ContentLengthFraming()),
            new RpcHandlerTable().AddContract<ISpec>(new SpecService()));
        client.Start();
        server.Start();
        ISpec spec = client.GetClient<ISpec>();
        Assert.Equal("Hello, Dr Who", await spec.GreetAsync("Who", "Dr"));
        Assert.Equal(10, await spec.SumAsync(1, 2, 7));
    }
}
