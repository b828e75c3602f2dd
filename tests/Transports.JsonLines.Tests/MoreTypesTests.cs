using System.Text.Json;
using SidecarKit.Rpc;
using SidecarKit.Tests.Support;

namespace SidecarKit.Transports.JsonLines.Tests;

/// <summary>
/// The types of issue 16 (DateOnly, TimeOnly, Int128, Half, sets, immutable collections, ReadOnlyMemory&lt;byte&gt;, Uri,
/// Version, records with extra members) through the generated proxy and codecs over JSON-RPC, and their JSON as
/// docs/protocol.md section 6 writes it.
/// </summary>
public class MoreTypesTests
{
    private static RpcHandlerTable Handlers() => new RpcHandlerTable().AddContract<IMoreTypes>(new EchoMoreTypes());

    [Fact]
    public async Task Every_new_type_round_trips_through_the_proxy()
    {
        await using ConnectionPair pair = ConnectionPair.Create(Handlers());
        await MoreTypesSamples.RoundTripAllAsync(pair.Client.GetClient<IMoreTypes>());
    }

    private static async Task<JsonElement> Call(string method, string paramsJson)
    {
        await using var raw = new RawJsonServer(Handlers());
        return await raw.RoundTripAsync($$"""{"jsonrpc":"2.0","id":1,"method":"moreTypes.{{method}}","params":{{paramsJson}}}""");
    }

    private static async Task<string> Result(string method, string valueJson)
    {
        JsonElement r = await Call(method, "{\"value\":" + valueJson + "}");
        Assert.True(r.TryGetProperty("result", out JsonElement result), r.ToString());
        return result.GetRawText();
    }

    [Theory]
    [InlineData("date", "\"2024-02-29\"", "\"2024-02-29\"")]
    [InlineData("date", "\"0001-01-01\"", "\"0001-01-01\"")]
    [InlineData("maybeTime", "\"13:45:30.5\"", "\"13:45:30.5\"")]
    [InlineData("maybeTime", "\"13:45\"", "\"13:45:00\"")]
    [InlineData("maybeTime", "\"23:59:59.9999999\"", "\"23:59:59.9999999\"")]
    [InlineData("maybeTime", "null", "null")]
    [InlineData("int128", "\"-170141183460469231731687303715884105728\"", "\"-170141183460469231731687303715884105728\"")]
    [InlineData("int128", "42", "\"42\"")]                       // an integer that fits a long is accepted as a number
    [InlineData("half", "0.1", "0.1")]                           // the half's shortest form, not 0.099975586
    [InlineData("half", "65504", "65500")]                       // Half.MaxValue's shortest form, which reads back as 65504
    [InlineData("half", "\"-Infinity\"", "\"-Infinity\"")]
    [InlineData("set", "[\"b\",\"a\",\"b\"]", "[\"b\",\"a\"]")]  // a set is a list; a repeated item is kept once
    [InlineData("immutableArray", "[3,1,3]", "[3,1,3]")]
    [InlineData("memory", "\"AAECAw==\"", "\"AAECAw==\"")]
    [InlineData("uri", "\"https://example.com/a?b=c\"", "\"https://example.com/a?b=c\"")]
    [InlineData("uri", "\"relative/path\"", "\"relative/path\"")]
    [InlineData("enumKeys", "{\"greenBlue\":1,\"Red\":2,\"7\":3}", "{\"greenBlue\":1,\"red\":2,\"7\":3}")]   // keys: an enum's names (or digits)
    [InlineData("intKeys", "{\"-9223372036854775808\":\"00000000-0000-0000-0000-000000000000\",\"0\":\"0f8fad5b-d9cb-469f-a165-70867728950e\"}",
        "{\"-9223372036854775808\":\"00000000-0000-0000-0000-000000000000\",\"0\":\"0f8fad5b-d9cb-469f-a165-70867728950e\"}")]   // integer keys: their digits
    [InlineData("guidKeys", "{\"0F8FAD5B-D9CB-469F-A165-70867728950E\":18446744073709551615}", "{\"0f8fad5b-d9cb-469f-a165-70867728950e\":18446744073709551615}")]
    public async Task Values_are_written_as_documented(string method, string sent, string expected)
        => Assert.Equal(expected, await Result(method, sent));

    [Fact]
    public async Task A_record_with_extra_members_and_init_members_travel_by_name()
    {
        string reading = await Result("reading", """{"sensor":"s","value":1.5,"day":"2026-12-07","unit":"K","at":"04:08:00","samples":2,"tags":["x"]}""");
        Assert.Equal("""{"sensor":"s","value":1.5,"day":"2026-12-07","unit":"K","at":"04:08:00","samples":2,"tags":["x"]}""", reading);
        string scalars = await Result("scalars", """{"date":"2024-03-01","time":"00:00:00","int128":"1","uInt128":"340282366920938463463374607431768211455","half":1,"memory":"","writableMemory":"AQ==","uri":"urn:a","version":"1.2.3"}""");
        Assert.Equal("""{"date":"2024-03-01","time":"00:00:00","int128":"1","uInt128":"340282366920938463463374607431768211455","half":1,"memory":"","writableMemory":"AQ==","uri":"urn:a","version":"1.2.3","maybeDate":null,"maybeTime":null,"maybeInt128":null,"maybeHalf":null,"maybeUri":null,"maybeVersion":null}""", scalars);
    }

    [Fact]
    public async Task A_missing_required_member_of_a_record_is_invalid_params()
    {
        JsonElement r = await Call("reading", """{"value":{"sensor":"s","value":1.5}}""");   // 'at' is required
        Assert.Equal(RpcErrorCodes.InvalidParams, r.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Contains("'at' is missing", r.GetProperty("error").GetProperty("message").GetString());
        r = await Call("init", """{"value":{"name":"n"}}""");   // 'id' is required (an int: required even though it has a default)
        Assert.Contains("'id' is missing", r.GetProperty("error").GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("date", "\"2024-02-30\"", "is not a date")]
    [InlineData("date", "\"2024-3-1\"", "is not a date")]
    [InlineData("date", "\"2024-03-01T00:00:00\"", "is not a date")]
    [InlineData("maybeTime", "\"24:00:00\"", "is not a time of day")]
    [InlineData("int128", "\"170141183460469231731687303715884105728\"", "is not an integer")]
    [InlineData("int128", "\"1e3\"", "is not an integer")]
    [InlineData("int128", "\"+5\"", "is not an integer")]                // one spelling per value: no leading +
    [InlineData("half", "65536", "out of range for Half")]
    [InlineData("half", "1e39", "out of range")]
    [InlineData("uri", "\"http://[bad\"", "is not a URI")]
    [InlineData("set", "[\"a\",null]", "must not be null")]
    [InlineData("intKeys", "{\"x\":\"00000000-0000-0000-0000-000000000000\"}", "the key 'x' is not an integer")]
    [InlineData("intKeys", "{\"1.5\":\"00000000-0000-0000-0000-000000000000\"}", "the key '1.5' is not an integer")]
    [InlineData("enumKeys", "{\"purple\":1}", "'purple' is not a member of")]
    [InlineData("guidKeys", "{\"{0f8fad5b-d9cb-469f-a165-70867728950e}\":1}", "is not a GUID")]
    public async Task Malformed_values_are_invalid_params(string method, string sent, string message)
    {
        JsonElement r = await Call(method, "{\"value\":" + sent + "}");
        Assert.True(r.TryGetProperty("error", out JsonElement error), r.ToString());
        Assert.Equal(RpcErrorCodes.InvalidParams, error.GetProperty("code").GetInt32());
        Assert.Contains(message, error.GetProperty("message").GetString());
    }
}
