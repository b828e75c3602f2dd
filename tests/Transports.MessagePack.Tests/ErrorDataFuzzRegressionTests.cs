using System.Buffers;
using System.IO.Pipelines;
using MessagePack;
using SidecarKit.Rpc;
using SidecarKit.Tests.Support;

namespace SidecarKit.Transports.MessagePack.Tests;

/// <summary>
/// Found by the fuzz suite (<see cref="MessagePackFuzzTests"/>, default seed): an error response whose <c>data</c> could
/// not be converted to JSON (a string that is not UTF-8) threw out of the read loop, which closed the whole connection.
/// The caller now gets the remote error (code and message) without its data, and the connection goes on.
/// </summary>
public class ErrorDataFuzzRegressionTests
{
    [Fact]
    public async Task An_error_response_with_unreadable_data_fails_the_call_and_the_connection_goes_on()
    {
        await using var peer = new HandPlayedPeer(new MessagePackRpcProtocol());
        RpcConnection client = peer.Client;
        ITypes types = client.GetClient<ITypes>();

        Task<long> first = types.Int64Async(1);
        long id = await ReadRequestIdAsync(peer.Requests);
        await peer.Answers.WriteAsync(MessagePackBytes.Of((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(4);
            w.Write(1);
            w.Write(id);
            w.WriteMapHeader(3);
            w.Write("code"); w.Write(-32042);
            w.Write("message"); w.Write("boom");
            w.Write("data"); w.WriteString([0x61, 0xff, 0x62]);   // not UTF-8
            w.WriteNil();
        }));
        var error = await Assert.ThrowsAsync<SidecarRemoteException>(() => first.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(-32042, error.Code);
        Assert.Equal("boom", error.Message);

        Task<long> second = types.Int64Async(2);
        id = await ReadRequestIdAsync(peer.Requests);
        await peer.Answers.WriteAsync(MessagePackBytes.Of((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(4);
            w.Write(1);
            w.Write(id);
            w.WriteNil();
            w.Write(5L);
        }));
        Assert.Equal(5L, await second.WaitAsync(TimeSpan.FromSeconds(10)));
    }


    // Reads one request [0, id, method, params] and returns its id.
    private static async Task<long> ReadRequestIdAsync(PipeReader input)
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
                input.AdvanceTo(result.Buffer.GetPosition(length));
                return id;
            }
            input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }
}
