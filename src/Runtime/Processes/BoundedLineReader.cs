using System.Buffers;
using System.IO.Pipelines;
using System.Text;

namespace SidecarKit.Processes;

/// <summary>
/// Reads a stream line by line with a cap on line length, so a child that floods output or never writes a newline
/// cannot make the parent buffer without bound. A longer line is delivered in pieces of at most the cap.
/// </summary>
internal static class BoundedLineReader
{
    public static async Task ReadLinesAsync(Stream stream, int maxLineBytes, Action<string> onLine)
    {
        PipeReader reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, leaveOpen: true));
        try
        {
            while (true)
            {
                ReadResult result = await reader.ReadAsync().ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                while (true)
                {
                    SequencePosition? newline = buffer.PositionOf((byte)'\n');
                    if (newline is not null)
                    {
                        ReadOnlySequence<byte> line = buffer.Slice(0, newline.Value);
                        while (line.Length > maxLineBytes)
                        {
                            onLine(Decode(line.Slice(0, maxLineBytes)));
                            line = line.Slice(maxLineBytes);
                        }
                        onLine(Decode(line));
                        buffer = buffer.Slice(buffer.GetPosition(1, newline.Value));
                    }
                    else if (buffer.Length >= maxLineBytes)
                    {
                        onLine(Decode(buffer.Slice(0, maxLineBytes)));
                        buffer = buffer.Slice(maxLineBytes);
                    }
                    else break;
                }
                if (result.IsCompleted)
                {
                    if (!buffer.IsEmpty) onLine(Decode(buffer));
                    reader.AdvanceTo(buffer.End);
                    break;
                }
                reader.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    private static string Decode(ReadOnlySequence<byte> bytes)
    {
        string text = Encoding.UTF8.GetString(bytes);
        return text.EndsWith('\r') ? text[..^1] : text;
    }
}
