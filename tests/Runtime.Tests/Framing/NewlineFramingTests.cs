using System.Buffers;
using System.Text;
using SidecarKit.Rpc.Framing;

namespace SidecarKit.Runtime.Tests.Framing;

public class NewlineFramingTests
{
    [Fact]
    public async Task A_16_MiB_line_in_64_KiB_pieces_costs_work_linear_in_its_size()
    {
        // The search for the newline resumes where it stopped: the buffered line is not searched again from its start
        // on every piece (256 pieces, about 2 GiB looked at before). Work is counted, not timed.
        int size = RpcFraming.DefaultMaxMessageSize;
        byte[] line = new byte[size + 1];
        line.AsSpan(0, size).Fill((byte)'x');
        line[^1] = (byte)'\n';
        var framing = new NewlineFraming();
        var pipe = new System.IO.Pipelines.Pipe(new System.IO.Pipelines.PipeOptions(pauseWriterThreshold: 0));
        var frames = new List<long>();
        for (int offset = 0; offset < line.Length; offset += 64 * 1024)
        {
            await pipe.Writer.WriteAsync(line.AsMemory(offset, Math.Min(64 * 1024, line.Length - offset)));
            System.IO.Pipelines.ReadResult result = await pipe.Reader.ReadAsync();
            ReadOnlySequence<byte> buffer = result.Buffer;
            while (framing.TryReadFrame(ref buffer, false, out ReadOnlySequence<byte> frame, out _) == RpcFrameStatus.Complete)
                frames.Add(frame.Length);
            pipe.Reader.AdvanceTo(buffer.Start, buffer.End);
        }
        Assert.Equal([size], frames);
        Assert.True(framing.BytesExamined <= 2L * line.Length, $"the framing looked at {framing.BytesExamined} bytes for {line.Length} received");
    }

    [Fact]
    public void Many_lines_in_one_buffer_are_each_searched_once()
    {
        var framing = new NewlineFraming();
        byte[] lines = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"a\":1}\n", 10_000)));
        var buffer = new ReadOnlySequence<byte>(lines);
        int count = 0;
        while (framing.TryReadFrame(ref buffer, false, out _, out _) == RpcFrameStatus.Complete) count++;
        Assert.Equal(10_000, count);
        Assert.Equal(lines.Length, framing.BytesExamined);
    }

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
