using FsCheck;
using FsCheck.Fluent;
using SidecarKit.Rpc;
using SidecarKit.Rpc.Framing;
using SidecarKit.Tests.Support;

namespace SidecarKit.Transports.JsonLines.Tests;

/// <summary>
/// The JSON-RPC readers fuzzed: the envelope and both framings (newline, <c>Content-Length</c>) fed random and mutated
/// bytes in random pieces through a real pipe, and every payload read with the generated codecs of every type shape.
/// Only the documented outcomes may come out (a message, an invalid message with a JSON-RPC code, the connection
/// closed with <see cref="InvalidDataException"/>, a codec's <see cref="ProtocolChecks.IsDocumented">documented
/// exception</see>); the framer always advances; what it buffers stays under its limit; what it allocates and the work
/// it does are linear in the input. Seeded: <c>SIDECARKIT_FUZZ_SEED</c> replays a failure (see <see cref="Fuzz"/>).
/// </summary>
public class JsonRpcFuzzTests
{
    private const int MaxMessage = 512;   // small, so that inputs cross it
    private static readonly List<MethodProbe> s_probes = ProbeChannel.Types();

    public enum Framing { Newline, ContentLength }

    private static JsonRpcProtocol Create(Framing framing, int maxMessage = MaxMessage) => framing == Framing.Newline
        ? new JsonRpcProtocol(new NewlineFraming(maxMessage))
        : new JsonRpcProtocol(new ContentLengthFraming(maxMessage, 64));

    private static Gen<byte[]> Valid(Framing framing) => ProtocolChecks.ValidMessages(() => Create(framing, RpcFraming.DefaultMaxMessageSize), s_probes);

    // Text that is almost JSON-RPC: the envelope's own tokens and delimiters, shuffled.
    private static readonly string[] s_tokens =
        ["{", "}", "[", "]", ",", ":", "\"jsonrpc\"", "\"2.0\"", "\"id\"", "\"method\"", "\"params\"", "\"result\"", "\"error\"", "\"code\"",
         "\"message\"", "\"data\"", "1", "-0", "1e999", "null", "true", "\"x\"", "\"\\u0000\"", "\n", "\r\n", " ", "Content-Length: 12\r\n\r\n",
         "content-length:0\r\n\r\n", "Content-Length: 99999999999\r\n\r\n", "X: y\r\n"];

    private static Gen<byte[]> Tokens()
        => Gen.ArrayOf(Gen.Elements(s_tokens)).Select(t => System.Text.Encoding.UTF8.GetBytes(string.Concat(t)));

    private static Gen<byte[]> Inputs(Framing framing)
        => Gen.Frequency(
            (2, Fuzz.Bytes(2048)),
            (2, Tokens()),
            (1, Valid(framing)),
            (5, Fuzz.Mutated(Valid(framing))));

    [Theory]
    [InlineData(Framing.Newline)]
    [InlineData(Framing.ContentLength)]
    public void Any_bytes_in_any_pieces_give_only_documented_outcomes(Framing framing)
    {
        Gen<(byte[] Bytes, int[] Pieces, int Probe)> inputs =
            from chunked in Fuzz.Chunked(Inputs(framing))
            from probe in Gen.Choose(0, s_probes.Count - 1)
            select (chunked.Bytes, chunked.Pieces, probe);
        Fuzz.Check($"json-rpc/{framing}", inputs, input =>
        {
            JsonRpcProtocol protocol = Create(framing);
            FeedResult fed = ProtocolFeed.Run(protocol, input.Bytes, input.Pieces,
                message => ProtocolChecks.CheckMessage(protocol, in message, s_probes[(int)((uint)(input.Probe + message.Id.GetHashCode()) % (uint)s_probes.Count)]));
            string at = $"input {Fuzz.Show(input.Bytes)}";
            // Memory: never more buffered than one message (and its header) plus the piece that just arrived.
            Assert.True(fed.MaxBuffered <= MaxMessage + (framing == Framing.Newline ? 0 : 64 + 4) + 64, $"{fed.MaxBuffered} bytes buffered; {at}");
            // Allocation linear in the input: per byte, and per message (an invalid one carries an exception's text).
            long budget = 64L * input.Bytes.Length + 8192L * (fed.Messages + fed.Reads) + 64 * 1024;
            Assert.True(fed.Allocated <= budget, $"{fed.Allocated} bytes allocated for {input.Bytes.Length} bytes in, {fed.Messages} messages; {at}");
            return true;
        }, maxTest: 1000);
    }

    [Theory]
    [InlineData(Framing.Newline)]
    [InlineData(Framing.ContentLength)]
    public void A_message_announcing_the_limit_allocates_only_what_arrived(Framing framing)
    {
        // The default 16 MiB limit: a Content-Length near it, or a long line still arriving, must not make the
        // framing reserve the announced size.
        Gen<(byte[] Bytes, int[] Pieces)> inputs = Fuzz.Chunked(
            from n in Gen.Choose(1, RpcFraming.DefaultMaxMessageSize)
            from body in Fuzz.Bytes(1024)
            select framing == Framing.ContentLength
                ? [.. System.Text.Encoding.ASCII.GetBytes($"Content-Length: {n}\r\n\r\n"), .. body]
                : body.Where(b => b != '\n').ToArray(), maxPiece: 256);
        Fuzz.Check($"json-rpc/{framing}/announced", inputs, input =>
        {
            FeedResult fed = ProtocolFeed.Run(Create(framing, RpcFraming.DefaultMaxMessageSize), input.Bytes, input.Pieces);
            Assert.True(fed.Allocated <= 64L * input.Bytes.Length + 8192L * (fed.Messages + fed.Reads) + 64 * 1024, $"{fed.Allocated} bytes allocated for {input.Bytes.Length}");
            return true;
        }, maxTest: 200);
    }

    [Theory]
    [InlineData(Framing.Newline)]
    [InlineData(Framing.ContentLength)]
    public void The_framing_does_work_linear_in_the_bytes_received(Framing framing)
    {
        // Long messages in small pieces: the worst case for a framing that searches the buffered message from its start
        // again on every piece. Counted as work (the bytes the framing looked at), not time.
        Gen<byte[]> longMessages = Gen.Frequency(
            (1, Inputs(framing)),
            (2, from n in Gen.Choose(1, 4)
                from bodies in Gen.ArrayOf(Fuzz.Bytes(4000).Select(b => b.Where(x => x != '\n').ToArray()), n)
                select bodies.SelectMany(b => framing == Framing.ContentLength
                    ? [.. System.Text.Encoding.ASCII.GetBytes($"X-Padding: {new string('p', b.Length % 2000)}\r\nContent-Length: {b.Length}\r\n\r\n"), .. b]
                    : (byte[])[.. b, (byte)'\n']).ToArray()));
        Fuzz.Check($"json-rpc/{framing}/work", Fuzz.Chunked(longMessages, maxPiece: 16), input =>
        {
            // Bodies of up to 4000 bytes against a 2000-byte limit: the oversize ones are discarded as they stream in.
            RpcFraming rpcFraming = framing == Framing.Newline ? new NewlineFraming(2000) : new ContentLengthFraming(2000, 2048);
            FeedResult fed = ProtocolFeed.Run(new JsonRpcProtocol(rpcFraming), input.Bytes, input.Pieces);
            long examined = rpcFraming switch
            {
                NewlineFraming n => n.BytesExamined,
                ContentLengthFraming c => c.BytesExamined,
                _ => 0,
            };
            Assert.True(examined <= 3L * input.Bytes.Length + 16 * (fed.Reads + fed.Messages),
                $"the framing looked at {examined} bytes for {input.Bytes.Length} received in {input.Pieces.Length} pieces");
            // Memory: one message (with its header section) and the piece that just arrived, at most.
            long bound = framing == Framing.Newline ? 2000 + 16 : 2000 + 2048 + 4 + 16;
            Assert.True(fed.MaxBuffered <= bound, $"{fed.MaxBuffered} bytes buffered");
            return true;
        }, maxTest: 300);
    }

    // The cases the work property found (default seed), at full size: before, every piece searched the whole buffered
    // line again (a 4 MiB line in 4 KiB pieces: about 2 GiB looked at), and every piece of a body parsed its headers again.
    [Fact]
    public void A_long_line_in_small_pieces_is_searched_once()
    {
        byte[] line = [.. Enumerable.Repeat((byte)'x', 4 * 1024 * 1024), (byte)'\n'];
        var framing = new NewlineFraming();
        FeedResult fed = ProtocolFeed.Run(new JsonRpcProtocol(framing), line, Pieces(line.Length, 4096));
        Assert.Equal(1, fed.Messages);
        Assert.True(framing.BytesExamined <= line.Length, $"the framing looked at {framing.BytesExamined} bytes for {line.Length} received");
    }

    [Fact]
    public void A_body_in_small_pieces_does_not_read_its_headers_again()
    {
        byte[] body = [.. Enumerable.Repeat((byte)' ', 64 * 1024)];
        byte[] message = [.. System.Text.Encoding.ASCII.GetBytes($"X-Padding: {new string('p', 4000)}\r\nContent-Length: {body.Length}\r\n\r\n"), .. body];
        var framing = new ContentLengthFraming();
        FeedResult fed = ProtocolFeed.Run(new JsonRpcProtocol(framing), message, Pieces(message.Length, 16));
        Assert.Equal(1, fed.Messages);
        Assert.True(framing.BytesExamined <= 2L * message.Length, $"the framing looked at {framing.BytesExamined} bytes for {message.Length} received");
    }

    private static int[] Pieces(int length, int piece)
        => [.. Enumerable.Repeat(piece, length / piece), .. (length % piece > 0 ? [length % piece] : Array.Empty<int>())];
}
