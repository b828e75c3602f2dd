using SidecarKit.Rpc;
using System.IO.Pipelines;
using SidecarKit.Tests.Support;

namespace SidecarKit.Transports.JsonLines.Tests;

/// <summary>
/// A large message leaves in one write to the stream under the connection (one system call on a socket or a pipe),
/// not one per 4 KiB segment of the pipe it passes through: what a bulk transfer's 64 KiB chunks cost per message.
/// </summary>
public class LargeMessageWriteTests
{
    [Fact]
    public async Task A_200_KB_request_reaches_the_stream_in_one_write()
    {
        var silent = new Pipe();   // nothing ever answers: only what the client writes matters
        var output = new CountingSink();
        await using var connection = JsonLines.CreateConnection(silent.Reader.AsStream(), output);
        string name = new('a', 200_000);

        Task<string> call = connection.GetClient<ISpec>().GreetAsync(name);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (output.Bytes < name.Length && DateTime.UtcNow < deadline) await Task.Delay(10);

        Assert.True(output.Bytes > name.Length, $"{output.Bytes} bytes written");
        Assert.Equal(1, output.Writes);
        Assert.False(call.IsCompleted);
    }
}

/// <summary>
/// Base64 as it arrives: what writers send is decoded straight into the result; escaped text and malformed text take
/// System.Text.Json's way and answer the same as before.
/// </summary>
public class Base64ReadingTests
{
    [Theory]
    [InlineData("\"\"", "\"\"")]
    [InlineData("\"AQ==\"", "\"AQ==\"")]
    [InlineData("\"AQI=\"", "\"AQI=\"")]
    [InlineData("\"AQID\"", "\"AQID\"")]
    [InlineData("\"AQ\\u003d\\u003d\"", "\"AQ==\"")]          // escaped padding
    [InlineData("\"\\u0041QID\"", "\"AQID\"")]                // an escaped letter
    [InlineData("\"AQID AQID\"", "\"AQIDAQID\"")]          // spaces: the library's decoder skips them
    public async Task Base64_is_decoded(string sent, string echoed)
    {
        await using var server = new RawJsonServer(new RpcHandlerTable().AddContract<ITypes>(new EchoTypes()));
        await server.SendLineAsync("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"types.bytes\",\"params\":{\"value\":" + sent + "}}");
        Assert.Equal("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":" + echoed + "}", await server.ReadLineAsync());
    }

    [Theory]
    [InlineData("\"AQ=\"")]      // not a multiple of 4
    [InlineData("\"A===\"")]     // too much padding
    [InlineData("\"AQ==AQ==\"")] // padding in the middle
    [InlineData("\"AQ*=\"")]     // not the alphabet
    public async Task Malformed_base64_is_invalid_params(string sent)
    {
        await using var server = new RawJsonServer(new RpcHandlerTable().AddContract<ITypes>(new EchoTypes()));
        await server.SendLineAsync("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"types.bytes\",\"params\":{\"value\":" + sent + "}}");
        string reply = await server.ReadLineAsync();
        Assert.StartsWith("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32602,", reply);
        Assert.Contains("base64", reply);
    }
}

/// <summary>
/// A stream's items leave coalesced: a producer with its items at hand writes them to the stream under the connection in
/// fewer writes than items (each write a system call on a socket or a pipe), and every item still leaves, unasked.
/// </summary>
public class StreamItemWriteTests
{
    [Fact]
    public async Task Items_at_hand_leave_in_fewer_writes_than_items()
    {
        var silent = new Pipe();   // nothing answers or grants credit: the first window of items is all that leaves
        var output = new CountingSink();
        await using var connection = JsonLines.CreateConnection(silent.Reader.AsStream(), output);
        int items = ProtocolMethods.InputWindow;

        Task<long> call = connection.GetClient<IStreaming>().SumAsync(AtHand(items));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (output.Lines <= items && DateTime.UtcNow < deadline) await Task.Delay(10);   // the request and every item
        await Task.Delay(100);   // anything still on its way

        // Flushed without anything more to write and without an answer; the connection's own lines (its hello) included.
        int lines = output.Lines;
        Assert.True(lines > items, $"{lines} lines written");
        Assert.True(output.Writes <= lines / 2, $"{lines} lines in {output.Writes} writes");
        Assert.False(call.IsCompleted);
    }

    private static async IAsyncEnumerable<int> AtHand(int count)
    {
        for (int i = 0; i < count; i++) yield return i;
        await Task.CompletedTask;
    }
}

/// <summary>A write-only stream that counts the writes it is given, their bytes and the lines they end.</summary>
internal sealed class CountingSink : Stream
{
    private long _bytes;
    private int _writes;
    private int _lines;

    public long Bytes => Interlocked.Read(ref _bytes);
    public int Writes => Volatile.Read(ref _writes);
    public int Lines => Volatile.Read(ref _lines);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Interlocked.Increment(ref _writes);
        Interlocked.Add(ref _bytes, buffer.Length);
        Interlocked.Add(ref _lines, System.MemoryExtensions.Count(buffer, (byte)'\n'));
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public override void Flush() { }
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
