using System.Buffers;
using SidecarKit.Rpc;
using SidecarKit.Wire;
using Xunit.Abstractions;

namespace SidecarKit.Transports.MessagePack.Tests;

/// <summary>
/// The envelope and the codecs on the hot path allocate nothing per message once warm: the writer writes straight
/// into the output's buffer, the reader reads the framed bytes in place (the message bytes come from a pool).
/// </summary>
public class AllocationTests(ITestOutputHelper output)
{
    private readonly struct AddArgs(int a, int b) : IWireArgs<AddArgs>
    {
        private static readonly WireMembers s_members = new("demo.add", "a", "b");
        public int A { get; } = a;
        public int B { get; } = b;

        public void Write<TWriter>(ref TWriter writer) where TWriter : IWireWriter, allows ref struct
        {
            writer.WriteStartObject(s_members);
            writer.WriteMember(s_members, 0);
            writer.WriteInt64(A);
            writer.WriteMember(s_members, 1);
            writer.WriteInt64(B);
            writer.WriteEndObject();
        }

        public static AddArgs Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct
        {
            int a = 0, b = 0;
            reader.ReadStartObject();
            int index = -1;
            while (reader.ReadNextMember(s_members, ref index))
            {
                switch (index)
                {
                    case 0: a = WireConvert.ToInt32(reader.ReadInt64()); break;
                    case 1: b = WireConvert.ToInt32(reader.ReadInt64()); break;
                    default: reader.Skip(); break;
                }
            }
            return new AddArgs(a, b);
        }
    }

    private static readonly string Method = "demo.add";

    // One call's worth of protocol work on both sides: the request written and read, the result written and read.
    private static int Cycle(MessagePackRpcProtocol protocol, ArrayBufferWriter<byte> buffer, long id)
    {
        buffer.ResetWrittenCount();
        protocol.WriteRequest(buffer, RequestId.FromNumber(id), Method, new AddArgs(2, 3));
        var sequence = new ReadOnlySequence<byte>(buffer.WrittenMemory);
        Assert.True(protocol.TryReadMessage(ref sequence, false, out RpcMessage request));
        AddArgs args = protocol.ReadArgs<AddArgs>(request);
        protocol.Release(request);

        buffer.ResetWrittenCount();
        protocol.WriteResult<int, WireCodecs.Int32>(buffer, RequestId.FromNumber(id), args.A + args.B);
        sequence = new ReadOnlySequence<byte>(buffer.WrittenMemory);
        Assert.True(protocol.TryReadMessage(ref sequence, false, out RpcMessage result));
        int sum = protocol.ReadResult<int, WireCodecs.Int32>(result);
        protocol.Release(result);
        return sum;
    }

    [Fact]
    public void A_call_allocates_nothing_once_warm()
    {
        var protocol = new MessagePackRpcProtocol();
        var buffer = new ArrayBufferWriter<byte>(256);
        for (int i = 0; i < 100; i++) Assert.Equal(5, Cycle(protocol, buffer, i));

        const int calls = 1000;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < calls; i++) Cycle(protocol, buffer, i);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        output.WriteLine($"{allocated} bytes allocated in {calls} calls");
        // The method name read is the string read the first time (MethodNameCache): a string per request was 40 bytes.
        Assert.True(allocated < calls, $"{allocated} bytes allocated in {calls} calls");
    }
}
