using System.Text.Json;
using SidecarKit.Rpc;
using SidecarKit.Tests.Support;

namespace SidecarKit.Transports.JsonLines.Tests;

public class LimitsTests
{
    private static RawJsonServer Server(JsonLinesOptions limits, RpcConnectionOptions? options = null)
        => new(new RpcHandlerTable().AddContract<ISpec>(new SpecService()), limits, options);

    private static async Task AssertUsable(RawJsonServer server)
    {
        JsonElement ok = await server.RoundTripAsync("""{"jsonrpc":"2.0","id":"after","method":"spec.sum","params":[1,2,3]}""");
        Assert.Equal(6, ok.GetProperty("result").GetInt32());
    }

    [Fact]
    public async Task Oversize_line_is_refused_and_the_connection_stays_usable()
    {
        await using RawJsonServer server = Server(new JsonLinesOptions { MaxMessageSize = 1024 });
        string big = """{"jsonrpc":"2.0","id":1,"method":"spec.greet","params":{"name":""" + "\"" + new string('x', 5000) + "\"}}";
        JsonElement response = await server.RoundTripAsync(big);
        Assert.Equal(RpcErrorCodes.MessageTooLarge, response.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Contains("1024", response.GetProperty("error").GetProperty("message").GetString());
        await AssertUsable(server);
    }

    [Fact]
    public async Task Oversize_line_arriving_in_pieces_is_discarded_without_buffering_it_whole()
    {
        await using RawJsonServer server = Server(new JsonLinesOptions { MaxMessageSize = 4096 });
        // 4 MB in 64 KB pieces, and only then the newline: the server must answer once, at the end.
        await server.SendAsync("""{"jsonrpc":"2.0","id":1,"method":"spec.greet","params":{"name":""" + "\"");
        string chunk = new('y', 64 * 1024);
        for (int i = 0; i < 64; i++) await server.SendAsync(chunk);
        await server.SendAsync("\"}}\n");
        JsonElement response = RawJsonServer.Parse(await server.ReadLineAsync());
        Assert.Equal(RpcErrorCodes.MessageTooLarge, response.GetProperty("error").GetProperty("code").GetInt32());
        await AssertUsable(server);
    }

    [Fact]
    public async Task Nesting_beyond_the_limit_is_refused_and_the_connection_stays_usable()
    {
        await using RawJsonServer server = Server(new JsonLinesOptions { MaxDepth = 16 });
        string deep = new string('[', 40) + new string(']', 40);
        string request = """{"jsonrpc":"2.0","id":1,"method":"spec.greet","params":{"name":"x","extra":""" + deep + "}}";
        JsonElement response = await server.RoundTripAsync(request);
        Assert.Equal(RpcErrorCodes.NestingTooDeep, response.GetProperty("error").GetProperty("code").GetInt32());
        await AssertUsable(server);
    }

    [Fact]
    public async Task Requests_beyond_the_concurrency_limit_are_refused_with_server_busy()
    {
        await using RawJsonServer server = Server(new JsonLinesOptions(), new RpcConnectionOptions { MaxConcurrentRequests = 2 });
        await server.SendLineAsync("""{"jsonrpc":"2.0","id":1,"method":"spec.slow","params":[20000]}""");
        await server.SendLineAsync("""{"jsonrpc":"2.0","id":2,"method":"spec.slow","params":[20000]}""");
        JsonElement third = await server.RoundTripAsync("""{"jsonrpc":"2.0","id":3,"method":"spec.slow","params":[1]}""");
        Assert.Equal(RpcErrorCodes.ServerBusy, third.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal(3, third.GetProperty("id").GetInt32());
    }

    [Fact]
    public async Task Random_bytes_never_crash_the_connection()
    {
        await using RawJsonServer server = Server(new JsonLinesOptions { MaxMessageSize = 8192 });
        var random = new Random(12345);
        int errors = 0;
        for (int i = 0; i < 200; i++)
        {
            byte[] junk = new byte[random.Next(1, 300)];
            random.NextBytes(junk);
            for (int j = 0; j < junk.Length; j++) if (junk[j] == (byte)'\n') junk[j] = (byte)'x';
            await server.SendBytesAsync([.. junk, (byte)'\n']);
            if (IsBlank(junk)) continue;
            JsonElement response = RawJsonServer.Parse(await server.ReadLineAsync());
            Assert.True(response.TryGetProperty("error", out _));
            errors++;
        }
        Assert.True(errors > 150);
        await AssertUsable(server);
    }

    private static bool IsBlank(byte[] bytes) => bytes.All(b => b is (byte)' ' or (byte)'\t' or (byte)'\r');
}
