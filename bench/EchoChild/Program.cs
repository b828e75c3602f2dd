using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;

// The raw floors: read 16-byte lines and write each one straight back, flushing per line.
//   EchoChild                 on stdio, opened exactly the way the SidecarKit sidecar host opens it
//                             (Console.OpenStandardInput/Output wrapped in pipes)
//   EchoChild --unix <path>   on a Unix socket: listens, serves one connection with async socket I/O
// so the only difference to the demo sidecar is everything SidecarKit does per message. Exits at end of input.
if (args.Length == 2 && args[0] == "--unix")
{
    using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    listener.Bind(new UnixDomainSocketEndPoint(args[1]));
    listener.Listen(1);
    Console.Error.WriteLine("listening"); // the client connects after this line
    using Socket client = await listener.AcceptAsync();
    using var stream = new NetworkStream(client, ownsSocket: false);
    await EchoAsync(PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 4096)), PipeWriter.Create(stream));
    return 0;
}

await EchoAsync(PipeReader.Create(Console.OpenStandardInput(), new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 4096)),
    PipeWriter.Create(Console.OpenStandardOutput()));
return 0;

static async Task EchoAsync(PipeReader input, PipeWriter output)
{
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
            if (flushed.IsCompleted) return;
            buffer = buffer.Slice(line.End);
        }
        input.AdvanceTo(buffer.Start, buffer.End);
        if (result.IsCompleted) break;
    }
    await output.CompleteAsync();
}
