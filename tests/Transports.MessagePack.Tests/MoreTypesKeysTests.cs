using System.IO.Pipelines;
using MessagePack;
using SidecarKit.Rpc;
using SidecarKit.Tests.Support;

namespace SidecarKit.Transports.MessagePack.Tests;

/// <summary>Dictionaries with integer keys carry them as MessagePack integers (GUID and enum keys as strings), read either way.</summary>
public class MoreTypesKeysTests
{
    [Fact]
    public async Task Integer_keys_are_native_and_string_digits_are_read_too()
    {
        await using var peer = new HandPlayedPeer(new MessagePackRpcProtocol());
        RpcConnection client = peer.Client;
        IMoreTypes types = client.GetClient<IMoreTypes>();

        Task<Dictionary<long, Guid>> call = types.IntKeysAsync(new() { [-1] = Guid.Empty, [300] = MoreTypesSamples.SomeGuid });
        (long id, MessagePackType[] keyTypes, long[] keys) = await ReadRequestAsync(peer.Requests);
        Assert.Equal([MessagePackType.Integer, MessagePackType.Integer], keyTypes);
        Assert.Equal([-1L, 300L], keys);
        await peer.Answers.WriteAsync(MessagePackBytes.Of((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(4);
            w.Write(1);
            w.Write(id);
            w.WriteNil();
            w.WriteMapHeader(2);
            w.Write(7); w.Write(Guid.Empty.ToString());
            w.Write("-8"); w.Write(MoreTypesSamples.SomeGuid.ToString());   // digits in a string, as JSON has them
        }));
        Dictionary<long, Guid> back = await call.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(new Dictionary<long, Guid> { [7] = Guid.Empty, [-8] = MoreTypesSamples.SomeGuid }, back);
    }

    // Reads one request [0, id, method, [map]] and returns its id and the map's key types and integer keys.
    private static async Task<(long Id, MessagePackType[] KeyTypes, long[] Keys)> ReadRequestAsync(PipeReader input)
    {
        while (true)
        {
            ReadResult result = await input.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            if (MessagePackFraming.TryGetObject(result.Buffer, 64, 1 << 20, out long length, out _) == FrameStatus.Complete)
            {
                var r = new MessagePackReader(result.Buffer.Slice(0, length));
                r.ReadArrayHeader();
                Assert.Equal(0, r.ReadInt32());
                long id = r.ReadInt64();
                Assert.Equal("moreTypes.intKeys", r.ReadString());
                Assert.InRange(r.ReadArrayHeader(), 1, 2); // the map, and the trace context when a test's listener is on

                int count = r.ReadMapHeader();
                var types = new MessagePackType[count];
                var keys = new long[count];
                for (int i = 0; i < count; i++)
                {
                    types[i] = r.NextMessagePackType;
                    keys[i] = types[i] == MessagePackType.Integer ? r.ReadInt64() : 0;
                    if (types[i] != MessagePackType.Integer) r.Skip();
                    r.Skip();
                }
                input.AdvanceTo(result.Buffer.GetPosition(length));
                return (id, types, keys);
            }
            input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }
}
