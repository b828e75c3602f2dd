using System.Buffers;
using System.IO.Pipelines;

// The raw stdio floor: read lines from stdin and write each one straight back to stdout, flushing per line.
// It opens stdio exactly the way the SidecarKit sidecar host does (Console.OpenStandardInput/Output wrapped in
// pipes), so the only difference to the demo sidecar is everything SidecarKit does per message.
// Exits at end of input.
Stream stdin = Console.OpenStandardInput();
Stream stdout = Console.OpenStandardOutput();
PipeReader input = PipeReader.Create(stdin, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 4096));
PipeWriter output = PipeWriter.Create(stdout);

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
        if (flushed.IsCompleted) return 0;
        buffer = buffer.Slice(line.End);
    }
    input.AdvanceTo(buffer.Start, buffer.End);
    if (result.IsCompleted) break;
}
await output.CompleteAsync();
return 0;
