using System.Buffers;
using FsCheck;
using FsCheck.Fluent;
using MessagePack;
using SidecarKit.Rpc.Framing;
using SidecarKit.Tests.Support;

namespace SidecarKit.Transports.MessagePack.Tests;

/// <summary>
/// The MessagePack-RPC readers fuzzed: the object framing (<see cref="MessagePackObjectScanner"/>), the envelope and
/// every payload read with the generated codecs of every type shape, fed random, structured-random and mutated bytes in
/// random pieces through a real pipe. Only the documented outcomes may come out (a message, an invalid message with
/// -32600, the connection closed with <see cref="InvalidDataException"/>, a codec's documented exception); the framing
/// always advances, buffers no more than the size limit and looks at each byte a bounded number of times
/// (<see cref="MessagePackObjectFraming.BytesExamined"/>, counted, not timed). Seeded: <c>SIDECARKIT_FUZZ_SEED</c>
/// replays a failure (see <see cref="Fuzz"/>).
/// </summary>
public class MessagePackFuzzTests
{
    private const int MaxMessage = 1024;
    private static readonly List<MethodProbe> s_probes = ProbeChannel.Types();

    private static MessagePackRpcProtocol Create(int maxMessage = MaxMessage, int maxDepth = MessagePackWireReader.MaxDepth)
        => new(new MessagePackOptions { MaxMessageSize = maxMessage, MaxDepth = maxDepth });

    private static Gen<byte[]> Valid() => ProtocolChecks.ValidMessages(() => Create(RpcFraming.DefaultMaxMessageSize), s_probes);

    // Any MessagePack value, of every format: what a peer that does not follow the contract could send.
    private static Gen<MessagePackBytes.WriteValue> Value(int depth)
    {
        Gen<MessagePackBytes.WriteValue> scalar = Gen.OneOf(
            Gen.Constant<MessagePackBytes.WriteValue>((ref MessagePackWriter w) => w.WriteNil()),
            ArbMap.Default.GeneratorFor<bool>().Select<bool, MessagePackBytes.WriteValue>(b => (ref MessagePackWriter w) => w.Write(b)),
            ArbMap.Default.GeneratorFor<long>().Select<long, MessagePackBytes.WriteValue>(n => (ref MessagePackWriter w) => w.Write(n)),
            ArbMap.Default.GeneratorFor<ulong>().Select<ulong, MessagePackBytes.WriteValue>(n => (ref MessagePackWriter w) => w.Write(n)),
            ArbMap.Default.GeneratorFor<double>().Select<double, MessagePackBytes.WriteValue>(d => (ref MessagePackWriter w) => w.Write(d)),
            ArbMap.Default.GeneratorFor<float>().Select<float, MessagePackBytes.WriteValue>(f => (ref MessagePackWriter w) => w.Write(f)),
            Gen.Elements("", "a", "name", "age", "code", "message", "data", "x.deep", "types.primitives", "é✓𝄞")
                .Select<string, MessagePackBytes.WriteValue>(s => (ref MessagePackWriter w) => w.Write(s)),
            Fuzz.Bytes(40).Select<byte[], MessagePackBytes.WriteValue>(b => (ref MessagePackWriter w) => w.WriteString(b)),   // perhaps not UTF-8
            Fuzz.Bytes(40).Select<byte[], MessagePackBytes.WriteValue>(b => (ref MessagePackWriter w) => w.Write(b)),
            Fuzz.Bytes(12).Zip(Gen.Choose(-128, 127)).Select<(byte[], int), MessagePackBytes.WriteValue>(e => (ref MessagePackWriter w) =>
            {
                w.WriteExtensionFormatHeader(new ExtensionHeader((sbyte)e.Item2, e.Item1.Length));
                w.WriteRaw(e.Item1);
            }),
            ArbMap.Default.GeneratorFor<DateTime>().Select<DateTime, MessagePackBytes.WriteValue>(t => (ref MessagePackWriter w) => w.Write(DateTime.SpecifyKind(t, DateTimeKind.Utc))));
        if (depth == 0) return scalar;
        Gen<MessagePackBytes.WriteValue> array = Gen.Choose(0, 5).SelectMany(n => Gen.ArrayOf(Value(depth - 1), n))
            .Select<MessagePackBytes.WriteValue[], MessagePackBytes.WriteValue>(items => (ref MessagePackWriter w) =>
            {
                w.WriteArrayHeader(items.Length);
                foreach (var item in items) item(ref w);
            });
        Gen<MessagePackBytes.WriteValue> map = Gen.Choose(0, 4).SelectMany(n => Gen.ArrayOf(scalar.Zip(Value(depth - 1)), n))
            .Select<(MessagePackBytes.WriteValue, MessagePackBytes.WriteValue)[], MessagePackBytes.WriteValue>(entries => (ref MessagePackWriter w) =>
            {
                w.WriteMapHeader(entries.Length);
                foreach (var (key, value) in entries) { key(ref w); value(ref w); }
            });
        return Gen.Frequency((4, scalar), (1, array), (1, map));
    }

    // Envelope-shaped arrays of any values: [type, id, method, params] with each part possibly wrong.
    private static Gen<byte[]> Envelopes()
        => from count in Gen.Choose(1, 3)
           from messages in Gen.ArrayOf(
               from type in Gen.Choose(-1, 3)
               from length in Gen.Choose(0, 5)
               from parts in Gen.ArrayOf(Value(3), length)
               select MessagePackBytes.Of((ref MessagePackWriter w) =>
               {
                   w.WriteArrayHeader(length + 1);
                   w.Write(type);
                   foreach (var part in parts) part(ref w);
               }), count)
           select messages.SelectMany(m => m).ToArray();


    private static Gen<byte[]> Inputs()
        => Gen.Frequency(
            (2, Fuzz.Bytes(2048)),
            (2, Envelopes()),
            (1, Valid()),
            (3, Fuzz.Mutated(Valid())),
            (2, Fuzz.Mutated(Envelopes())));

    [Fact]
    public void Any_bytes_in_any_pieces_give_only_documented_outcomes_at_linear_cost()
    {
        Gen<(byte[] Bytes, int[] Pieces, int Probe)> inputs =
            from chunked in Fuzz.Chunked(Inputs())
            from probe in Gen.Choose(0, s_probes.Count - 1)
            select (chunked.Bytes, chunked.Pieces, probe);
        Fuzz.Check("msgpack-rpc", inputs, input =>
        {
            MessagePackRpcProtocol protocol = Create();
            FeedResult fed = ProtocolFeed.Run(protocol, input.Bytes, input.Pieces,
                message => ProtocolChecks.CheckMessage(protocol, in message, s_probes[(int)((uint)(input.Probe + message.Id.GetHashCode()) % (uint)s_probes.Count)]));
            string at = $"input {Fuzz.Show(input.Bytes)}";
            // CPU: each byte looked at a bounded number of times (a header cut by a piece's end is read again, whole).
            long examined = protocol.Framing.BytesExamined;
            Assert.True(examined <= 2L * input.Bytes.Length + 9L * fed.Reads, $"the framing looked at {examined} bytes for {input.Bytes.Length} received in {fed.Reads} reads; {at}");
            // Memory: never more buffered than the limit plus the piece that just arrived.
            Assert.True(fed.MaxBuffered <= MaxMessage + 64, $"{fed.MaxBuffered} bytes buffered; {at}");
            long budget = 64L * input.Bytes.Length + 8192L * (fed.Messages + fed.Reads) + 64 * 1024;
            Assert.True(fed.Allocated <= budget, $"{fed.Allocated} bytes allocated for {input.Bytes.Length} bytes in, {fed.Messages} messages; {at}");
            return true;
        }, maxTest: 1500);
    }

    [Fact]
    public void Large_announced_objects_in_small_pieces_cost_work_linear_in_what_arrived()
    {
        // Arrays, maps, strings and binaries announcing up to the default 16 MiB limit (the worst case of issue 11 item
        // 4 was one-byte elements), followed by a random part of their body in pieces of 1 to 16 bytes.
        Gen<byte[]> headers = Gen.OneOf(
            Gen.Choose(0, 1 << 24).Select(n => MessagePackBytes.Of((ref MessagePackWriter w) => w.WriteArrayHeader(n))),
            Gen.Choose(0, 1 << 23).Select(n => MessagePackBytes.Of((ref MessagePackWriter w) => w.WriteMapHeader(n))),
            Gen.Choose(0, 1 << 24).Select(n => Convert.FromHexString("db" + n.ToString("x8"))),
            Gen.Choose(0, 1 << 24).Select(n => Convert.FromHexString("c6" + n.ToString("x8"))));
        Gen<byte[]> elements = Gen.OneOf(Gen.Constant<byte>(0), Gen.Constant<byte>(0x90), Gen.Constant<byte>(0xc0), ArbMap.Default.GeneratorFor<byte>())
            .SelectMany(b => Gen.Choose(0, 3000).Select(n => Enumerable.Repeat(b, n).ToArray()));
        Gen<byte[]> inputs = from h in headers from body in elements select (byte[])[.. h, .. body];
        Fuzz.Check("msgpack-rpc/announced", Fuzz.Chunked(inputs, maxPiece: 16), input =>
        {
            MessagePackRpcProtocol protocol = Create(RpcFraming.DefaultMaxMessageSize);
            FeedResult fed = ProtocolFeed.Run(protocol, input.Bytes, input.Pieces, message => ProtocolChecks.CheckMessage(protocol, in message, s_probes[0]));
            long examined = protocol.Framing.BytesExamined;
            Assert.True(examined <= 2L * input.Bytes.Length + 9L * fed.Reads, $"the framing looked at {examined} bytes for {input.Bytes.Length} received in {fed.Reads} reads");
            Assert.True(fed.Allocated <= 64L * input.Bytes.Length + 8192L * (fed.Messages + fed.Reads) + 64 * 1024, $"{fed.Allocated} bytes allocated for {input.Bytes.Length}");
            return true;
        }, maxTest: 300);
    }
}
