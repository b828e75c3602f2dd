using System.Buffers;
using System.Text;
using SidecarKit.Rpc.Framing;

namespace SidecarKit.Runtime.Tests.Framing;

public class NewlineFramingTests
{
    [Fact]
    public void Takes_lines_skips_blank_ones_and_takes_a_final_unterminated_line_at_the_end()
    {
        var reader = new FrameReader(new NewlineFraming());
        Assert.Equal([(RpcFrameStatus.Complete, "{}"), (RpcFrameStatus.Complete, "[1]\r")], reader.Feed("{}\n \t\r\n\n[1]\r\n{\"last\""));
        Assert.Equal([(RpcFrameStatus.Complete, "{\"last\":1}")], reader.Feed(":1}", isCompleted: true));
    }

    [Fact]
    public void An_oversize_line_is_dropped_as_it_streams_in_and_reported_at_its_end()
    {
        var reader = new FrameReader(new NewlineFraming(maxMessageSize: 100));
        Assert.Empty(reader.Feed(new string('x', 150)));
        Assert.Equal(0, reader.Buffered);
        Assert.Empty(reader.Feed(new string('x', 150)));
        var frames = reader.Feed("x\n{}\n");
        Assert.Equal(RpcFrameStatus.TooLarge, frames[0].Status);
        Assert.Contains("at most 100 bytes", frames[0].Text);
        Assert.Equal((RpcFrameStatus.Complete, "{}"), frames[1]);
    }

    [Fact]
    public void Writes_the_body_then_a_newline_straight_into_the_output()
    {
        var framing = new NewlineFraming();
        var output = new ArrayBufferWriter<byte>();
        Assert.Same(output, framing.BeginFrame(output));
        output.Write("{}"u8);
        framing.EndFrame(output);
        Assert.Equal("{}\n", Encoding.UTF8.GetString(output.WrittenSpan));
    }
}
