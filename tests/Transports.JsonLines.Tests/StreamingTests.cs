using SidecarKit.Rpc;
using SidecarKit.Tests.Support;

namespace SidecarKit.Transports.JsonLines.Tests;

/// <summary>Client and bidirectional streaming over a JSON-RPC connection (<see cref="StreamingScenarios"/>).</summary>
public class StreamingTests : StreamingScenarios
{
    protected override Task<(IStreaming Client, IAsyncDisposable Connection)> ConnectAsync(Streaming service)
    {
        ConnectionPair pair = ConnectionPair.Create(new RpcHandlerTable().AddContract<IStreaming>(service));
        return Task.FromResult<(IStreaming, IAsyncDisposable)>((pair.Client.GetClient<IStreaming>(), pair));
    }

    [Fact]
    public async Task Input_messages_on_the_wire_and_the_refusals_of_a_caller_that_breaks_their_rules()
    {
        await using var server = new RawJsonServer(new RpcHandlerTable().AddContract<IStreaming>(new Streaming()));
        await server.SendLineAsync("""{"jsonrpc":"2.0","id":1,"method":"streaming.sum","params":{}}""");
        await server.SendLineAsync("""{"jsonrpc":"2.0","method":"$/input.item","params":{"id":1,"item":40}}""");
        await server.SendLineAsync("""{"jsonrpc":"2.0","method":"$/input.item","params":{"id":1,"item":2}}""");
        await server.SendLineAsync("""{"jsonrpc":"2.0","method":"$/input.end","params":{"id":1}}""");
        Assert.Equal("""{"jsonrpc":"2.0","id":1,"result":42}""", await server.ReadLineAsync());

        // A null item of a type that cannot be null is unreadable, not 0.
        await server.SendLineAsync("""{"jsonrpc":"2.0","id":2,"method":"streaming.sum","params":{}}""");
        await server.SendLineAsync("""{"jsonrpc":"2.0","method":"$/input.item","params":{"id":2,"item":null}}""");
        Assert.Equal("""{"jsonrpc":"2.0","id":2,"error":{"code":-32600,"message":"An item of the input stream of 'streaming.sum' could not be read: the item is null, and Int32 cannot be null."}}""",
            await server.ReadLineAsync());

        // The caller's failure, told with $/input.end: the implementation's read throws it, typed, and the call ends with it.
        await server.SendLineAsync("""{"jsonrpc":"2.0","id":3,"method":"streaming.sum","params":{}}""");
        await server.SendLineAsync("""{"jsonrpc":"2.0","method":"$/input.end","params":{"id":3,"error":{"code":-32099,"message":"disk gone"}}}""");
        Assert.Equal("""{"jsonrpc":"2.0","id":3,"error":{"code":-32099,"message":"disk gone"}}""", await server.ReadLineAsync());

        // A caller that never waits for credit, to a callee that reads slowly: 64 items are the window; the 65th fails the call.
        await server.SendLineAsync("""{"jsonrpc":"2.0","id":4,"method":"streaming.slowCount","params":{"delayMilliseconds":60000}}""");
        for (int i = 0; i < 200; i++)
            await server.SendLineAsync("{\"jsonrpc\":\"2.0\",\"method\":\"$/input.item\",\"params\":{\"id\":4,\"item\":" + i + "}}");
        string line;
        do line = await server.ReadLineAsync(); while (line.Contains("\"method\":\"$/input.credit\""));
        Assert.StartsWith("""{"jsonrpc":"2.0","id":4,"error":{"code":-32600,"message":"The caller sent more items of the input stream of 'streaming.slowCount' than it had credit for""", line);
    }
}
