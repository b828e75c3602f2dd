using System.Buffers;
using System.Diagnostics;
using SidecarKit.Rpc;
using SidecarKit.Transports.JsonLines;
using SidecarKit.Wire;

namespace SidecarKit.Benchmarks;

/// <summary>
/// The JSON work of one demo.add call, both sides, on one thread with no I/O: encode the request, frame and parse it,
/// read the params, encode the result, frame and parse it, read the result. What is left of a call's time beyond this
/// is moving bytes and threads.
/// </summary>
internal static class WireCycle
{
    public static void Run(int calls)
    {
        var client = new JsonRpcProtocol();
        var server = new JsonRpcProtocol();
        var buffer = new ArrayBufferWriter<byte>(256);
        int requestBytes = 0, responseBytes = 0;
        for (int i = 0; i < 50_000; i++) Cycle(client, server, buffer, i, ref requestBytes, ref responseBytes);

        long bytes0 = GC.GetTotalAllocatedBytes(precise: true);
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < calls; i++) Cycle(client, server, buffer, i, ref requestBytes, ref responseBytes);
        TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
        long bytes = GC.GetTotalAllocatedBytes(precise: true) - bytes0;
        Console.WriteLine($"  JSON-RPC encode + parse, request ({requestBytes} B) and response ({responseBytes} B): " +
            $"{elapsed.TotalNanoseconds / calls:0} ns/call, {(double)bytes / calls:0} B/call");
    }

    private static void Cycle(JsonRpcProtocol client, JsonRpcProtocol server, ArrayBufferWriter<byte> buffer, int id, ref int requestBytes, ref int responseBytes)
    {
        buffer.ResetWrittenCount();
        client.WriteRequest(buffer, RequestId.FromNumber(id), "demo.add", new AddArgs(1, 2));
        requestBytes = buffer.WrittenCount;
        var sequence = new ReadOnlySequence<byte>(buffer.WrittenMemory);
        if (!server.TryReadMessage(ref sequence, false, out RpcMessage request)) throw new InvalidOperationException("no request");
        AddArgs args = server.ReadArgs<AddArgs>(in request);
        RequestId requestId = request.Id;
        server.Release(in request);

        buffer.ResetWrittenCount();
        server.WriteResult<int, WireCodecs.Int32>(buffer, requestId, args.A + args.B);
        responseBytes = buffer.WrittenCount;
        sequence = new ReadOnlySequence<byte>(buffer.WrittenMemory);
        if (!client.TryReadMessage(ref sequence, false, out RpcMessage response)) throw new InvalidOperationException("no response");
        int sum = client.ReadResult<int, WireCodecs.Int32>(in response);
        client.Release(in response);
        if (sum != 3) throw new InvalidOperationException($"sum {sum}");
    }

    /// <summary>The params of demo.add, as the generator emits them (IDemo.Sidecar.g.cs, __Args0).</summary>
    private readonly struct AddArgs(int a, int b) : IWireArgs<AddArgs>
    {
        private static readonly WireMembers s_members = new("demo.add", "a", "b");
        public int A => a;
        public int B => b;

        public void Write<TWriter>(ref TWriter writer) where TWriter : IWireWriter, allows ref struct
        {
            writer.WriteStartObject(s_members);
            writer.WriteMember(s_members, 0);
            WireCodecs.Int32.Write(ref writer, a);
            writer.WriteMember(s_members, 1);
            WireCodecs.Int32.Write(ref writer, b);
            writer.WriteEndObject();
        }

        public static AddArgs Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct
        {
            int v0 = 0, v1 = 0;
            bool has0 = false, has1 = false;
            if (reader.TokenKind != WireTokenKind.None && !reader.TryReadNull())
            {
                reader.ReadStartObject();
                int index = -1;
                while (reader.ReadNextMember(s_members, ref index))
                {
                    switch (index)
                    {
                        case 0: v0 = WireCodecs.Int32.Read(ref reader); has0 = true; break;
                        case 1: v1 = WireCodecs.Int32.Read(ref reader); has1 = true; break;
                        default: reader.Skip(); break;
                    }
                }
            }
            if (!has0) throw WireFormatException.MissingMember("demo.add", "a");
            if (!has1) throw WireFormatException.MissingMember("demo.add", "b");
            return new AddArgs(v0, v1);
        }
    }
}
