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
    /// <summary>The cap for a line that starts with the caller's <c>longLinePrefix</c> (a ready line that announces big contracts).</summary>
    public const int MaxLongLineBytes = 4 * 1024 * 1024;

    public static async Task ReadLinesAsync(Stream stream, int maxLineBytes, Action<string> onLine, string? longLinePrefix = null)
    {
        byte[]? prefix = longLinePrefix is null ? null : Encoding.UTF8.GetBytes(longLinePrefix);
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
                    int cap = prefix is not null && StartsWith(buffer, prefix) ? MaxLongLineBytes : maxLineBytes;
                    if (newline is not null)
                    {
                        ReadOnlySequence<byte> line = buffer.Slice(0, newline.Value);
                        while (line.Length > cap)
                        {
                            onLine(Decode(line.Slice(0, cap)));
                            line = line.Slice(cap);
                        }
                        onLine(Decode(line));
                        buffer = buffer.Slice(buffer.GetPosition(1, newline.Value));
                    }
                    else if (buffer.Length >= cap)
                    {
                        onLine(Decode(buffer.Slice(0, cap)));
                        buffer = buffer.Slice(cap);
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

    private static bool StartsWith(ReadOnlySequence<byte> buffer, byte[] prefix)
    {
        if (buffer.Length < prefix.Length) return false;
        Span<byte> head = stackalloc byte[prefix.Length];
        buffer.Slice(0, prefix.Length).CopyTo(head);
        return head.SequenceEqual(prefix);
    }

    private static string Decode(ReadOnlySequence<byte> bytes)
    {
        string text = Encoding.UTF8.GetString(bytes);
        return text.EndsWith('\r') ? text[..^1] : text;
    }
}
