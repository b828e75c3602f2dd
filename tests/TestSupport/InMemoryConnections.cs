using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using SidecarKit.Rpc;
using SidecarKit.Transports.JsonLines;

namespace SidecarKit.Tests.Support;

/// <summary>
/// Two connected <see cref="RpcConnection"/>s over in-memory pipes, speaking JSON lines (or <c>protocol</c>); each reads
/// through a <see cref="ScribblingPipeReader"/>.
/// </summary>
public sealed class ConnectionPair : IAsyncDisposable
{
    public required RpcConnection Client { get; init; }
    public required RpcConnection Server { get; init; }

    public static ConnectionPair Create(RpcHandlerTable serverHandlers, RpcHandlerTable? clientHandlers = null,
        RpcConnectionOptions? clientOptions = null, RpcConnectionOptions? serverOptions = null, JsonLinesOptions? limits = null,
        Func<RpcProtocol>? protocol = null)
    {
        protocol ??= () => new JsonRpcProtocol(limits);
        var toServer = new Pipe();
        var toClient = new Pipe();
        var client = new RpcConnection(new DuplexPipe(new ScribblingPipeReader(toClient.Reader), toServer.Writer), protocol(), clientHandlers, clientOptions);
        var server = new RpcConnection(new DuplexPipe(new ScribblingPipeReader(toServer.Reader), toClient.Writer), protocol(), serverHandlers, serverOptions);
        client.Start();
        server.Start();
        return new ConnectionPair { Client = client, Server = server };
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Server.DisposeAsync();
    }
}

/// <summary>
/// A server connection driven by raw text: a test writes lines as a client would and reads the server's lines.
/// Used for protocol conformance, where the exact bytes matter.
/// </summary>
public sealed class RawJsonServer : IAsyncDisposable
{
    private readonly Pipe _toServer = new();
    private readonly Pipe _fromServer = new();
    private readonly PipeReader _reader;

    public RawJsonServer(RpcHandlerTable handlers, JsonLinesOptions? limits = null, RpcConnectionOptions? options = null)
    {
        Connection = new RpcConnection(new DuplexPipe(new ScribblingPipeReader(_toServer.Reader), _fromServer.Writer), new JsonRpcProtocol(limits), handlers, options);
        Connection.Start();
        _reader = _fromServer.Reader;
    }

    public RpcConnection Connection { get; }

    public async Task SendAsync(string text)
    {
        await _toServer.Writer.WriteAsync(Encoding.UTF8.GetBytes(text));
    }

    public Task SendLineAsync(string json) => SendAsync(json + "\n");

    public async Task SendBytesAsync(byte[] bytes) => await _toServer.Writer.WriteAsync(bytes);

    public void CompleteInput() => _toServer.Writer.Complete();

    /// <summary>Reads the next line the server wrote, or fails after the timeout.</summary>
    public async Task<string> ReadLineAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            ReadResult result = await _reader.ReadAsync(cts.Token);
            var buffer = result.Buffer;
            SequencePosition? newline = buffer.PositionOf((byte)'\n');
            if (newline is not null)
            {
                string line = Encoding.UTF8.GetString(buffer.Slice(0, newline.Value));
                _reader.AdvanceTo(buffer.GetPosition(1, newline.Value));
                return line;
            }
            if (result.IsCompleted) throw new EndOfStreamException("The server closed its output.");
            _reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Sends one line and returns the server's answer, parsed.</summary>
    public async Task<System.Text.Json.JsonElement> RoundTripAsync(string json)
    {
        await SendLineAsync(json);
        return Parse(await ReadLineAsync());
    }

    public static System.Text.Json.JsonElement Parse(string line) => System.Text.Json.JsonDocument.Parse(line).RootElement.Clone();

    public async ValueTask DisposeAsync()
    {
        _toServer.Writer.Complete();
        await Connection.DisposeAsync();
    }
}

/// <summary>Two pipe ends as one duplex pipe: what a connection reads from and writes to, in memory.</summary>
public sealed record DuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;

/// <summary>
/// A client connection whose other end the test plays by hand: it reads the requests the client writes
/// (<see cref="Requests"/>) and writes the answers it wants the client to see (<see cref="Answers"/>), byte for byte.
/// </summary>
public sealed class HandPlayedPeer : IAsyncDisposable
{
    private readonly Pipe _toServer = new();
    private readonly Pipe _toClient = new();

    public HandPlayedPeer(RpcProtocol protocol)
    {
        Client = new RpcConnection(new DuplexPipe(_toClient.Reader, _toServer.Writer), protocol);
        Client.Start();
    }

    /// <summary>The client, started.</summary>
    public RpcConnection Client { get; }

    /// <summary>What the client writes.</summary>
    public PipeReader Requests => _toServer.Reader;

    /// <summary>Where the test writes what the client reads.</summary>
    public PipeWriter Answers => _toClient.Writer;

    public ValueTask DisposeAsync() => Client.DisposeAsync();
}
