using System.Text.Json;
using SidecarKit.Rpc;
using SidecarKit.Tests.Support;
using SidecarKit.Transports.JsonLines;

namespace SidecarKit.Transports.MessagePack.Tests;

/// <summary>An error's data is the transport's own encoding end to end, converted only where formats meet.</summary>
public class ErrorDataTests
{
    // A map {"bin": <bin8 01 02 03>, "ext": <fixext1 type 5, 0x2a>} written by hand, byte for byte.
    private static readonly byte[] s_msgpack = [0x82, 0xA3, (byte)'b', (byte)'i', (byte)'n', 0xC4, 0x03, 1, 2, 3, 0xA3, (byte)'e', (byte)'x', (byte)'t', 0xD4, 0x05, 0x2A];

    private sealed class Failing : IErrors
    {
        public Task FailAsync(int kind, CancellationToken ct) => throw (kind switch
        {
            0 => new SidecarRemoteException(-32001, "msgpack", MessagePackErrorData.FromMessagePack(s_msgpack)),
            1 => new SidecarRemoteException(-32001, "json", JsonDocument.Parse("""{"left":3}""").RootElement),
            2 => new SidecarRemoteException(-32001, "broken", RpcErrorData.FromUtf8Json("{\"unclosed\":"u8.ToArray())),
            _ => new SidecarRemoteException(-32001, "no json form", MessagePackErrorData.FromMessagePack(new byte[] { 0xA2, 0xC3, 0x28 })), // str with invalid UTF-8
        });
    }

    private static async Task<SidecarRemoteException> FailOver(Func<RpcProtocol> protocol, int kind)
    {
        await using ConnectionPair pair = ConnectionPair.Create(new RpcHandlerTable().AddContract<IErrors>(new Failing()), protocol: protocol);
        return await Assert.ThrowsAsync<SidecarRemoteException>(() => pair.Client.GetClient<IErrors>().FailAsync(kind, CancellationToken.None));
    }

    [Fact]
    public async Task MessagePack_data_arrives_byte_for_byte_over_MessagePack_and_converts_to_json_on_demand()
    {
        SidecarRemoteException e = await FailOver(() => new MessagePackRpcProtocol(), 0);
        Assert.Equal(RpcDataFormat.MessagePack, e.ErrorData!.Format);
        Assert.Equal(s_msgpack, e.ErrorData.Payload.ToArray());
        JsonElement json = e.ErrorData.ToJson();
        Assert.Equal("AQID", json.GetProperty("bin").GetString());
        Assert.Equal(5, json.GetProperty("ext").GetProperty("extension").GetInt32());
    }

    [Fact]
    public async Task Json_data_arrives_as_sent_over_json_and_is_converted_once_for_MessagePack()
    {
        SidecarRemoteException overJson = await FailOver(() => new JsonRpcProtocol(), 1);
        Assert.Equal(RpcDataFormat.Json, overJson.ErrorData!.Format);
        Assert.Equal("""{"left":3}""", System.Text.Encoding.UTF8.GetString(overJson.ErrorData.Payload.Span));

        SidecarRemoteException overMsgpack = await FailOver(() => new MessagePackRpcProtocol(), 1);
        Assert.Equal(RpcDataFormat.MessagePack, overMsgpack.ErrorData!.Format);
        Assert.Equal(3, overMsgpack.ErrorData.ToJson().GetProperty("left").GetInt32());
        Assert.Contains("data={\"left\":3}", overMsgpack.ToString());

        // And back: MessagePack data to a JSON caller, converted when written.
        SidecarRemoteException relayed = await FailOver(() => new JsonRpcProtocol(), 0);
        Assert.Equal(RpcDataFormat.Json, relayed.ErrorData!.Format);
        Assert.Equal("AQID", relayed.ErrorData.ToJson().GetProperty("bin").GetString());
    }

    [Theory]
    [InlineData(2, true)]
    [InlineData(2, false)]
    [InlineData(3, true)]
    public async Task Data_that_cannot_be_written_is_left_out_and_the_error_still_arrives(int kind, bool json)
    {
        SidecarRemoteException e = await FailOver(json ? () => new JsonRpcProtocol() : () => new MessagePackRpcProtocol(), kind);
        Assert.Equal(-32001, e.Code);
        Assert.Null(e.ErrorData);
    }

    [Fact]
    public void MessagePack_data_must_be_one_value_and_data_without_a_json_form_says_so()
    {
        Assert.Throws<ArgumentException>(() => MessagePackErrorData.FromMessagePack(new byte[] { 0x92, 0x01 }));       // an array missing an item
        Assert.Throws<ArgumentException>(() => MessagePackErrorData.FromMessagePack(new byte[] { 0x01, 0x02 }));       // two values
        RpcErrorData noJson = MessagePackErrorData.FromMessagePack(new byte[] { 0xA2, 0xC3, 0x28 });
        Assert.Throws<InvalidDataException>(() => noJson.ToJson());
        Assert.Equal("<3 bytes of MessagePack with no JSON form>", noJson.ToString());
        Assert.Throws<InvalidDataException>(() => RpcErrorData.FromUtf8Json("[1,"u8.ToArray()).ToJson());
    }
}
