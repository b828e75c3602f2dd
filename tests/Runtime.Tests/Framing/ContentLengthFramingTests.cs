using System.Buffers;
using System.Text;
using SidecarKit.Rpc.Framing;

namespace SidecarKit.Runtime.Tests.Framing;

public class ContentLengthFramingTests
{
    private static string Frame(string body) => $"Content-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}";

    [Fact]
    public void Reads_back_to_back_messages_split_at_every_byte()
    {
        string stream = Frame("""{"a":1}""") + Frame("""{"é":"ü"}""") + Frame("");
        byte[] bytes = Encoding.UTF8.GetBytes(stream);
        for (int split = 0; split <= bytes.Length; split++)
        {
            var reader = new FrameReader(new ContentLengthFraming());
            var frames = reader.Feed(bytes[..split]);
            frames.AddRange(reader.Feed(bytes[split..]));
            Assert.Equal([(RpcFrameStatus.Complete, """{"a":1}"""), (RpcFrameStatus.Complete, """{"é":"ü"}"""), (RpcFrameStatus.Complete, "")], frames);
            Assert.Equal(0, reader.Buffered);
        }
    }

    [Fact]
    public void Header_names_ignore_case_and_other_headers_are_ignored()
    {
        var reader = new FrameReader(new ContentLengthFraming());
        var frames = reader.Feed("content-LENGTH:   2  \r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\nX-Whatever: 12\r\n\r\n{}"
            + "Content-Type: application/json\r\nContent-Length:7\r\n\r\n[1,2,3]");
        Assert.Equal([(RpcFrameStatus.Complete, "{}"), (RpcFrameStatus.Complete, "[1,2,3]")], frames);
    }

    [Theory]
    [InlineData("Content-Type: application/json\r\n\r\n{}", "without Content-Length")]
    [InlineData("Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}", "more than one Content-Length")]
    [InlineData("Content-Length: abc\r\n\r\n{}", "\"abc\" is not a non-negative decimal integer")]
    [InlineData("Content-Length: -2\r\n\r\n{}", "\"-2\" is not a non-negative decimal integer")]
    [InlineData("Content-Length: +2\r\n\r\n{}", "not a non-negative decimal integer")]
    [InlineData("Content-Length: 2e1\r\n\r\n{}", "not a non-negative decimal integer")]
    [InlineData("Content-Length: \r\n\r\n{}", "not a non-negative decimal integer")]
    [InlineData("Content-Length: 99999999999999999999\r\n\r\n{}", "not a non-negative decimal integer")]
    [InlineData("{\"jsonrpc\":\"2.0\"}\r\n\r\n", "not 'Name: value'")]
    [InlineData("\r\n\r\n{}", "not 'Name: value'")]
    [InlineData("Content Length: 2\r\n\r\n{}", "not 'Name: value'")]
    public void A_header_section_without_a_trustworthy_length_is_invalid(string input, string reason)
    {
        var frames = new FrameReader(new ContentLengthFraming()).Feed(input);
        (RpcFrameStatus status, string error) = Assert.Single(frames);
        Assert.Equal(RpcFrameStatus.Invalid, status);
        Assert.Contains(reason, error);
    }

    [Fact]
    public void An_oversize_body_is_refused_at_once_and_skipped_as_it_arrives_without_being_buffered()
    {
        var reader = new FrameReader(new ContentLengthFraming(maxMessageSize: 100));
        var frames = reader.Feed("Content-Length: 1000000\r\n\r\n" + new string('x', 10));
        (RpcFrameStatus status, string error) = Assert.Single(frames);
        Assert.Equal(RpcFrameStatus.TooLarge, status);
        Assert.Contains("at most 100 bytes", error);
        Assert.Contains("Content-Length: 1000000", error);
        Assert.Equal(0, reader.Buffered);

        byte[] chunk = Encoding.ASCII.GetBytes(new string('y', 64 * 1024));
        int sent = 10;
        while (sent + chunk.Length < 1_000_000)
        {
            Assert.Empty(reader.Feed(chunk));
            Assert.Equal(0, reader.Buffered); // dropped, not held
            sent += chunk.Length;
        }
        // The end of the oversize body and the next message in one read: the stream is back in step.
        frames = reader.Feed(new string('z', 1_000_000 - sent) + Frame("""{"next":true}"""));
        Assert.Equal([(RpcFrameStatus.Complete, """{"next":true}""")], frames);
    }

    [Fact]
    public void A_header_section_that_never_ends_is_invalid_once_it_passes_the_limit()
    {
        var reader = new FrameReader(new ContentLengthFraming(maxHeaderSize: 256));
        Assert.Empty(reader.Feed("Content-Length: 2\r\nX-Padding: " + new string('p', 200)));
        var frames = reader.Feed(new string('p', 100));
        (RpcFrameStatus status, string error) = Assert.Single(frames);
        Assert.Equal(RpcFrameStatus.Invalid, status);
        Assert.Contains("longer than 256 bytes", error);
    }

    [Fact]
    public void A_header_section_of_exactly_the_limit_is_accepted()
    {
        string headers = "Content-Length: 2\r\nX-Padding: ";
        headers += new string('p', 256 - headers.Length);
        Assert.Equal(256, headers.Length);
        var frames = new FrameReader(new ContentLengthFraming(maxHeaderSize: 256)).Feed(headers + "\r\n\r\n{}");
        Assert.Equal([(RpcFrameStatus.Complete, "{}")], frames);
    }

    [Theory]
    [InlineData("Content-Length: 10\r\n\r\nabc", "ended inside a message (3 of its 10 bytes arrived)")]
    [InlineData("Content-Len", "ended inside a header section")]
    [InlineData("Content-Length: 10\r\n", "ended inside a header section")]
    public void A_stream_that_ends_inside_a_message_is_invalid(string input, string reason)
    {
        var reader = new FrameReader(new ContentLengthFraming());
        Assert.Empty(reader.Feed(input));
        (RpcFrameStatus status, string error) = Assert.Single(reader.Feed([], isCompleted: true));
        Assert.Equal(RpcFrameStatus.Invalid, status);
        Assert.Contains(reason, error);
    }

    [Fact]
    public void A_stream_that_ends_between_messages_is_a_clean_end()
    {
        var reader = new FrameReader(new ContentLengthFraming());
        Assert.Equal([(RpcFrameStatus.Complete, "{}")], reader.Feed(Frame("{}"), isCompleted: true));
        Assert.Empty(reader.Feed([], isCompleted: true));
    }

    [Fact]
    public void Writes_the_header_then_the_body_and_reads_back_what_it_wrote()
    {
        var framing = new ContentLengthFraming();
        var output = new ArrayBufferWriter<byte>();
        foreach (string body in new[] { """{"jsonrpc":"2.0","id":1,"result":5}""", "", new string('é', 3000) })
        {
            IBufferWriter<byte> w = framing.BeginFrame(output);
            w.Write(Encoding.UTF8.GetBytes(body));
            framing.EndFrame(output);
        }
        string written = Encoding.UTF8.GetString(output.WrittenSpan);
        Assert.StartsWith("Content-Length: 35\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":5}Content-Length: 0\r\n\r\nContent-Length: 6000\r\n\r\néé", written);
        var frames = new FrameReader(new ContentLengthFraming()).Feed(output.WrittenSpan.ToArray());
        Assert.Equal(["""{"jsonrpc":"2.0","id":1,"result":5}""", "", new string('é', 3000)], frames.Select(f => f.Text));
    }

    [Fact]
    public void Writing_allocates_nothing_per_message()
    {
        var framing = new ContentLengthFraming();
        var output = new ArrayBufferWriter<byte>(1024 * 1024);
        byte[] body = Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","id":1,"method":"demo.add","params":{"a":1,"b":2}}""");
        void WriteOne()
        {
            IBufferWriter<byte> w = framing.BeginFrame(output);
            w.Write(body);
            framing.EndFrame(output);
        }
        WriteOne(); // the body buffer's first growth
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) WriteOne();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
