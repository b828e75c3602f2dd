using System.IO.Pipelines;

namespace SidecarKit.Rpc;

/// <summary>A duplex pipe over two streams (a process's stdio, a socket's stream, …).</summary>
public sealed class StreamDuplexPipe : IDuplexPipe
{
    private StreamDuplexPipe(PipeReader input, PipeWriter output)
    {
        Input = input;
        Output = output;
    }

    /// <inheritdoc />
    public PipeReader Input { get; }

    /// <inheritdoc />
    public PipeWriter Output { get; }

    /// <summary>Wraps <paramref name="input"/> for reading and <paramref name="output"/> for writing.</summary>
    public static StreamDuplexPipe Create(Stream input, Stream output, bool leaveOpen = false)
        => new(PipeReader.Create(input, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 4096, leaveOpen: leaveOpen)),
               PipeWriter.Create(output, new StreamPipeWriterOptions(leaveOpen: leaveOpen)));
}
