using System.Text.Json;
using SidecarKit.Rpc;
using SidecarKit.Tests.Support;

namespace SidecarKit.Transports.JsonLines.Tests;

/// <summary>
/// The examples of the JSON-RPC 2.0 specification (section 7) that apply, with method names under the "spec"
/// contract, and the project's documented departure: batches are refused with -32600.
/// </summary>
public class JsonRpcConformanceTests : IAsyncLifetime
{
    private readonly SpecService _service = new();
    private RawJsonServer _server = null!;

    public Task InitializeAsync()
    {
        _server = new RawJsonServer(new RpcHandlerTable().AddContract<ISpec>(_service));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static void AssertResult(JsonElement response, object id, int result)
    {
        Assert.Equal("2.0", response.GetProperty("jsonrpc").GetString());
        AssertId(response, id);
        Assert.Equal(result, response.GetProperty("result").GetInt32());
        Assert.False(response.TryGetProperty("error", out _));
    }

    private static void AssertError(JsonElement response, object? id, int code)
    {
        Assert.Equal("2.0", response.GetProperty("jsonrpc").GetString());
        AssertId(response, id);
        JsonElement error = response.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetInt32());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.False(response.TryGetProperty("result", out _));
    }

    private static void AssertId(JsonElement response, object? id)
    {
        JsonElement actual = response.GetProperty("id");
        switch (id)
        {
            case null: Assert.Equal(JsonValueKind.Null, actual.ValueKind); break;
            case string s: Assert.Equal(s, actual.GetString()); break;
            case int n: Assert.Equal(n, actual.GetInt32()); break;
        }
    }

    [Fact]
    public async Task Positional_parameters()
    {
        AssertResult(await _server.RoundTripAsync("""{"jsonrpc": "2.0", "method": "spec.subtract", "params": [42, 23], "id": 1}"""), 1, 19);
        AssertResult(await _server.RoundTripAsync("""{"jsonrpc": "2.0", "method": "spec.subtract", "params": [23, 42], "id": 2}"""), 2, -19);
    }

    [Fact]
    public async Task Named_parameters_in_any_order()
    {
        AssertResult(await _server.RoundTripAsync("""{"jsonrpc": "2.0", "method": "spec.subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}"""), 3, 19);
        AssertResult(await _server.RoundTripAsync("""{"jsonrpc": "2.0", "method": "spec.subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 4}"""), 4, 19);
    }

    [Fact]
    public async Task Notifications_get_no_response()
    {
        await _server.SendLineAsync("""{"jsonrpc": "2.0", "method": "spec.update", "params": [1,2,3,4,5]}""");
        await _server.SendLineAsync("""{"jsonrpc": "2.0", "method": "foobar"}""");
        // The next line out must answer this request: nothing was written for the two notifications.
        AssertResult(await _server.RoundTripAsync("""{"jsonrpc": "2.0", "method": "spec.sum", "params": [1,2,4], "id": "1"}""".Replace("\"1\"", "7")), 7, 7);
        lock (_service.Notifications) Assert.Contains("update 1,2,3,4,5", _service.Notifications);
    }

    [Fact]
    public async Task Non_existent_method()
        => AssertError(await _server.RoundTripAsync("""{"jsonrpc": "2.0", "method": "foobar", "id": "1"}"""), "1", RpcErrorCodes.MethodNotFound);

    [Fact]
    public async Task Invalid_json()
        => AssertError(await _server.RoundTripAsync("""{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]"""), null, RpcErrorCodes.ParseError);

    [Fact]
    public async Task Invalid_request_object()
        => AssertError(await _server.RoundTripAsync("""{"jsonrpc": "2.0", "method": 1, "params": "bar"}"""), null, RpcErrorCodes.InvalidRequest);

    [Fact]
    public async Task Batch_with_invalid_json_is_a_parse_error()
        => AssertError(await _server.RoundTripAsync("""[ {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"}, {"jsonrpc": "2.0", "method" ]"""), null, RpcErrorCodes.ParseError);

    [Theory]
    [InlineData("[]")]
    [InlineData("[1]")]
    [InlineData("[1,2,3]")]
    [InlineData("""[{"jsonrpc": "2.0", "method": "spec.sum", "params": [1,2,4], "id": "1"}, {"jsonrpc": "2.0", "method": "spec.notifyHello", "params": [7]}]""")]
    public async Task Batches_are_refused_with_one_documented_error(string batch)
    {
        JsonElement response = await _server.RoundTripAsync(batch);
        AssertError(response, null, RpcErrorCodes.InvalidRequest);
        Assert.Contains("batch", response.GetProperty("error").GetProperty("message").GetString(), StringComparison.OrdinalIgnoreCase);
        // Nothing in the batch ran, and the connection is still usable.
        AssertResult(await _server.RoundTripAsync("""{"jsonrpc":"2.0","id":9,"method":"spec.sum","params":[1,1,1]}"""), 9, 3);
    }

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"spec.sum","params":[1,2,3]""", RpcErrorCodes.ParseError)]                 // truncated
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"spec.sum","params":[1,2,3]} {}""", RpcErrorCodes.ParseError)]            // trailing content
    [InlineData("\"just a string\"", RpcErrorCodes.InvalidRequest)]
    [InlineData("42", RpcErrorCodes.InvalidRequest)]
    [InlineData("null", RpcErrorCodes.InvalidRequest)]
    [InlineData("""{"id":1,"method":"spec.sum","params":[1,2,3]}""", RpcErrorCodes.InvalidRequest)]                          // no jsonrpc
    [InlineData("""{"jsonrpc":"1.0","id":1,"method":"spec.sum","params":[1,2,3]}""", RpcErrorCodes.InvalidRequest)]         // wrong version
    [InlineData("""{"jsonrpc":"2.0","id":{"a":1},"method":"spec.sum","params":[1,2,3]}""", RpcErrorCodes.InvalidRequest)]   // id object
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"spec.sum","params":"1,2,3"}""", RpcErrorCodes.InvalidRequest)]          // params string
    [InlineData("""{"jsonrpc":"2.0","id":1}""", RpcErrorCodes.InvalidRequest)]                                               // nothing to do
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"spec.sum","params":[1,2,3],"result":1}""", RpcErrorCodes.InvalidRequest)]
    [InlineData("\u00ff\u00fe garbage", RpcErrorCodes.ParseError)]
    public async Task Malformed_messages_get_the_right_error_and_the_connection_stays_usable(string line, int code)
    {
        JsonElement response = await _server.RoundTripAsync(line);
        Assert.Equal(code, response.GetProperty("error").GetProperty("code").GetInt32());
        AssertResult(await _server.RoundTripAsync("""{"jsonrpc":"2.0","id":2,"method":"spec.subtract","params":[5,3]}"""), 2, 2);
    }

    [Fact]
    public async Task Invalid_request_with_a_readable_id_is_answered_with_that_id()
        => AssertError(await _server.RoundTripAsync("""{"jsonrpc":"1.0","id":"abc","method":"spec.sum","params":[1,2,3]}"""), "abc", RpcErrorCodes.InvalidRequest);

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"spec.subtract","params":{"minuend":"42","subtrahend":1}}""", "expected an integer")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"spec.subtract","params":{"minuend":42}}""", "subtrahend")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"spec.subtract","params":[1]}""", "subtrahend")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"spec.subtract","params":[2147483648,1]}""", "out of range")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"spec.subtract","params":[1.5,1]}""", "expected an integer")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"spec.subtract"}""", "minuend")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"spec.greet","params":{"name":null}}""", "must not be null")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"spec.greet","params":{"name":["x"]}}""", "expected a string")]
    public async Task Wrong_or_missing_params_are_invalid_params_with_a_clear_message(string request, string expected)
    {
        JsonElement response = await _server.RoundTripAsync(request);
        AssertError(response, 1, RpcErrorCodes.InvalidParams);
        Assert.Contains(expected, response.GetProperty("error").GetProperty("message").GetString());
        AssertResult(await _server.RoundTripAsync("""{"jsonrpc":"2.0","id":2,"method":"spec.subtract","params":[5,3]}"""), 2, 2);
    }

    [Fact]
    public async Task Optional_and_nullable_params_may_be_omitted_and_unknown_members_are_ignored()
    {
        JsonElement r = await _server.RoundTripAsync("""{"jsonrpc":"2.0","id":1,"method":"spec.greet","params":{"name":"Ada","extra":{"deep":[1,2]}}}""");
        Assert.Equal("Hello, Ada", r.GetProperty("result").GetString());
        r = await _server.RoundTripAsync("""{"jsonrpc":"2.0","id":2,"method":"spec.greet","params":["Ada","Countess"]}""");
        Assert.Equal("Hello, Countess Ada", r.GetProperty("result").GetString());
    }

    [Fact]
    public async Task Positional_params_past_the_known_ones_are_skipped_as_a_newer_caller_sends_them()
    {
        // docs/compatibility.md: a caller built from a newer contract may send an optional parameter this side lacks.
        AssertResult(await _server.RoundTripAsync("""{"jsonrpc":"2.0","id":1,"method":"spec.subtract","params":[42,23,{"deep":[1]},"x"]}"""), 1, 19);
    }

    [Theory]
    [InlineData("\"req-1\"")]
    [InlineData("0")]
    [InlineData("-12")]
    [InlineData("9007199254740993")]
    [InlineData("1.5")]
    [InlineData("12345678901234567890")]
    [InlineData("null")]
    [InlineData("\"\"")]
    public async Task Ids_of_any_json_type_are_echoed_exactly(string id)
    {
        await _server.SendLineAsync($$"""{"jsonrpc":"2.0","id":{{id}},"method":"spec.sum","params":[1,2,3]}""");
        string line = await _server.ReadLineAsync();
        Assert.Contains($"\"id\":{id},", line);
        Assert.Equal(6, RawJsonServer.Parse(line).GetProperty("result").GetInt32());
    }

    [Fact]
    public async Task Blank_lines_and_crlf_are_accepted()
    {
        await _server.SendAsync("\n\r\n   \n{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"spec.sum\",\"params\":[1,2,3]}\r\n");
        AssertResult(RawJsonServer.Parse(await _server.ReadLineAsync()), 1, 6);
    }

    [Fact]
    public async Task A_message_split_across_many_writes_is_reassembled()
    {
        string request = """{"jsonrpc":"2.0","id":11,"method":"spec.greet","params":{"name":"Grace Hopper ✓"}}""" + "\n";
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(request);
        foreach (byte b in bytes) await _server.SendBytesAsync([b]);
        JsonElement r = RawJsonServer.Parse(await _server.ReadLineAsync());
        Assert.Equal("Hello, Grace Hopper ✓", r.GetProperty("result").GetString());
    }

    [Fact]
    public async Task Cancel_request_ends_the_call_with_request_cancelled()
    {
        await _server.SendLineAsync("""{"jsonrpc":"2.0","id":"slow","method":"spec.slow","params":[30000]}""");
        await Task.Delay(50);
        await _server.SendLineAsync("""{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":"slow"}}""");
        AssertError(RawJsonServer.Parse(await _server.ReadLineAsync(TimeSpan.FromSeconds(5))), "slow", RpcErrorCodes.RequestCancelled);
    }

    [Fact]
    public async Task Final_line_without_newline_is_handled_at_end_of_input()
    {
        await _server.SendAsync("""{"jsonrpc":"2.0","id":5,"method":"spec.sum","params":[2,2,2]}""");
        _server.CompleteInput();
        AssertResult(RawJsonServer.Parse(await _server.ReadLineAsync()), 5, 6);
    }

    [Fact]
    public async Task Invalid_utf8_in_method_or_id_is_a_parse_error_not_a_dead_connection()
    {
        byte[] prefix = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"spec."u8.ToArray();
        byte[] suffix = "\",\"params\":[1,2,3]}\n"u8.ToArray();
        await _server.SendBytesAsync([.. prefix, 0xC3, 0x28, .. suffix]);
        Assert.Equal(RpcErrorCodes.ParseError, RawJsonServer.Parse(await _server.ReadLineAsync()).GetProperty("error").GetProperty("code").GetInt32());
        await _server.SendBytesAsync([.. "{\"jsonrpc\":\"2.0\",\"method\":\"spec.sum\",\"params\":[1,2,3],\"id\":\""u8.ToArray(), 0xFF, .. "\"}\n"u8.ToArray()]);
        Assert.Equal(RpcErrorCodes.ParseError, RawJsonServer.Parse(await _server.ReadLineAsync()).GetProperty("error").GetProperty("code").GetInt32());
        AssertResult(await _server.RoundTripAsync("""{"jsonrpc":"2.0","id":2,"method":"spec.subtract","params":[5,3]}"""), 2, 2);
    }

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","result":1}""")]
    [InlineData("""{"jsonrpc":"2.0","error":{"code":1,"message":"x"},"result":2,"id":5}""")]
    [InlineData("""{"jsonrpc":"2.0","id":77,"result":1}""")]
    public async Task Invalid_or_unmatched_responses_are_not_answered(string response)
    {
        await _server.SendLineAsync(response);
        // The next line out answers this request: nothing was written for the response above.
        AssertResult(await _server.RoundTripAsync("""{"jsonrpc":"2.0","id":3,"method":"spec.subtract","params":[5,3]}"""), 3, 2);
    }
}

/// <summary>The client side of the protocol, driven by a peer that writes raw lines.</summary>
public class ClientSideProtocolTests
{
    [Fact]
    public async Task A_null_result_for_a_value_type_is_a_protocol_error_not_zero()
    {
        await using var peer = new RawJsonServer(new RpcHandlerTable());
        Task<int> call = peer.Connection.GetClient<ISpec>().SumAsync(1, 2, 3);
        JsonElement request = RawJsonServer.Parse(await peer.ReadLineAsync());
        Assert.Equal("spec.sum", request.GetProperty("method").GetString());
        await peer.SendLineAsync($$"""{"jsonrpc":"2.0","id":{{request.GetProperty("id").GetInt64()}},"result":null}""");
        var e = await Assert.ThrowsAsync<SidecarProtocolException>(() => call);
        Assert.Contains("found null", e.Message);
    }

    [Fact]
    public async Task A_duplicate_of_a_running_id_is_refused_with_id_null_whatever_else_is_wrong_with_it()
    {
        await using var server = new RawJsonServer(new RpcHandlerTable().AddContract<ISpec>(new SpecService()));
        await server.SendLineAsync("""{"jsonrpc":"2.0","id":1,"method":"spec.slow","params":[60000]}""");
        JsonElement duplicate = await server.RoundTripAsync("""{"jsonrpc":"2.0","id":1,"method":"no.such.method"}""");
        Assert.True(duplicate.GetProperty("id").ValueKind == JsonValueKind.Null, duplicate.ToString());
        Assert.Equal(RpcErrorCodes.InvalidRequest, duplicate.GetProperty("error").GetProperty("code").GetInt32());
        // The running request still gets exactly its own answer.
        await server.SendLineAsync("""{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":1}}""");
        JsonElement first = RawJsonServer.Parse(await server.ReadLineAsync());
        Assert.Equal(1, first.GetProperty("id").GetInt32());
        Assert.Equal(RpcErrorCodes.RequestCancelled, first.GetProperty("error").GetProperty("code").GetInt32());
    }
}
