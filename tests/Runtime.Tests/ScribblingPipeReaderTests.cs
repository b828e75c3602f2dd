using System.Buffers;
using System.IO.Pipelines;
using SidecarKit.Tests.Support;

namespace SidecarKit.Runtime.Tests;

/// <summary>The tests' guard against bytes used after the read loop advanced past them does overwrite them.</summary>
public class ScribblingPipeReaderTests
{
    [Fact]
    public async Task Consumed_bytes_are_overwritten_and_the_rest_is_left_as_it_was()
    {
        var pipe = new Pipe(new PipeOptions(minimumSegmentSize: 16));
        await pipe.Writer.WriteAsync(Enumerable.Range(1, 40).Select(i => (byte)i).ToArray());
        var reader = new ScribblingPipeReader(pipe.Reader);

        ReadResult result = await reader.ReadAsync();
        ReadOnlySequence<byte> read = result.Buffer;
        Assert.False(read.IsSingleSegment); // consumed bytes in more than one segment are all overwritten
        byte[] kept = read.Slice(30).ToArray();
        // The consumed bytes' memory, looked at after the pipe has it back (the sequence itself is no longer walkable).
        List<ReadOnlyMemory<byte>> consumed = [];
        foreach (ReadOnlyMemory<byte> segment in read.Slice(0, 30)) consumed.Add(segment);
        Assert.Equal(Enumerable.Range(1, 30).Select(i => (byte)i), consumed.SelectMany(m => m.ToArray()));
        reader.AdvanceTo(read.GetPosition(30));

        Assert.Equal(30, consumed.Sum(m => m.Length));
        Assert.All(consumed.SelectMany(m => m.ToArray()), b => Assert.Equal(ScribblingPipeReader.Scribble, b));
        ReadResult next = await reader.ReadAsync();
        Assert.Equal(kept, next.Buffer.ToArray());
        Assert.Equal(Enumerable.Range(31, 10).Select(i => (byte)i), kept);
        reader.AdvanceTo(next.Buffer.End);
        reader.Complete();
    }
}
