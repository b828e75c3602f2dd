using System.Buffers;
using System.IO.Compression;
using FsCheck;
using FsCheck.Fluent;
using Grpc.Core;
using SidecarKit.Rpc;
using SidecarKit.Samples.Demo;
using SidecarKit.Tests.Support;
using SidecarKit.Transports.Grpc.Marshalling;
using SidecarKit.Transports.Grpc.Protobuf;
using SidecarKit.Wire;

namespace SidecarKit.Transports.Grpc.Tests;

/// <summary>
/// The gRPC transport's readers fuzzed: <see cref="ProtobufReader"/> driving the generated codecs of the demo contract
/// and of every type shape (requests and responses), the marshallers grpc-dotnet hands a message's payload to (in one
/// segment or cut into many, as a frame arrives), and the verified gzip decompression. Only the documented failures
/// may come out: a decode error the server answers with INVALID_ARGUMENT (<see cref="Server.GrpcErrors.IsDecodeError"/>) or
/// the client reports as a codec failure, and INTERNAL for gzip that does not decompress completely. Seeded:
/// <c>SIDECARKIT_FUZZ_SEED</c> replays a failure (see <see cref="Fuzz"/>).
/// </summary>
public class GrpcFuzzTests
{
    private static readonly List<MethodProbe> s_probes = [.. ProbeChannel.Types(), .. DemoProbes()];

    private static List<MethodProbe> DemoProbes()
    {
        var channel = new ProbeChannel();
        IDemo demo = channel.GetClient<IDemo>();
        _ = demo.AddAsync(2, 3);
        _ = demo.EchoAsync(new Person("Ada", 36, ["math", "engines"], new SidecarKit.Samples.Demo.Address("1 Main St", "London"), new DateTimeOffset(1815, 12, 10, 0, 0, 0, TimeSpan.Zero)));
        _ = demo.DivideAsync(1, 3);
        _ = demo.CountAsync(3).GetAsyncEnumerator().MoveNextAsync();
        _ = demo.SleepAsync(5);
        _ = demo.BlobAsync(10);
        demo.Log("hello");
        _ = demo.ExitAsync(1);
        _ = demo.WorkAsync(2);
        IDemoEvents events = channel.GetClient<IDemoEvents>();
        events.Progress("task", 50);
        _ = events.ConfirmAsync("sure?");
        return channel.Probes;
    }

    // Request messages written by our encoder from each probe's sample arguments.
    private static byte[] Encode(MethodProbe probe) => probe.Accept(new EncodeArgs());

    private sealed class EncodeArgs : IMethodVisitor<byte[]>
    {
        public byte[] Visit<TArgs, TResult, TCodec>(MethodDescriptor method, TArgs sample)
            where TArgs : struct, IWireArgs<TArgs>
            where TCodec : IWireCodec<TResult>
        {
            var encoder = new ProtobufEncoder();
            encoder.WriteArgs(in sample);
            return encoder.Buffer.AsSpan(0, encoder.Length).ToArray();
        }
    }

    // Protobuf-shaped noise: fields of every wire type (including the deprecated groups and invalid ones 6 and 7),
    // varints of every length, length-delimited payloads that are themselves such noise, lengths that lie.
    private static Gen<byte[]> Fields(int depth)
    {
        Gen<byte[]> varint = ArbMap.Default.GeneratorFor<ulong>().Select(v => Varint(v));
        Gen<byte[]> field =
            from number in Gen.Frequency((4, Gen.Choose(1, 8)), (1, Gen.Choose(0, 536_870_911)))
            from wireType in Gen.Choose(0, 7)
            from body in wireType switch
            {
                0 => varint,
                1 => Fuzz.Bytes(8).Select(b => b.Length == 8 ? b : new byte[8]),
                5 => Fuzz.Bytes(4).Select(b => b.Length == 4 ? b : new byte[4]),
                2 => depth > 0
                    ? Gen.Frequency((2, Fields(depth - 1)), (1, Fuzz.Bytes(32))).SelectMany(p => Gen.Frequency(
                        (6, Gen.Constant(p.Length)), (1, Gen.Choose(0, int.MaxValue))).Select(n => (byte[])[.. Varint((ulong)n), .. p]))
                    : Fuzz.Bytes(16).Select(p => (byte[])[.. Varint((ulong)p.Length), .. p]),
                _ => Fuzz.Bytes(4),
            }
            select (byte[])[.. Varint(((ulong)number << 3) | (uint)wireType), .. body];
        return Gen.Choose(0, 6).SelectMany(n => Gen.ArrayOf(field, n)).Select(fields => fields.SelectMany(f => f).ToArray());
    }

    private static byte[] Varint(ulong value)
    {
        var bytes = new List<byte>();
        do
        {
            byte b = (byte)(value & 0x7f);
            value >>= 7;
            bytes.Add(value != 0 ? (byte)(b | 0x80) : b);
        } while (value != 0);
        return [.. bytes];
    }

    private static Gen<byte[]> Messages()
    {
        Gen<byte[]> valid = Gen.Elements<MethodProbe>(s_probes).Select<MethodProbe, byte[]>(Encode);
        return Gen.Frequency((2, Fuzz.Bytes(512)), (3, Fields(3)), (1, valid), (4, Fuzz.Mutated(valid)), (2, Fuzz.Mutated(Fields(2))));
    }

    // What the server answers INVALID_ARGUMENT; the client's codec failures are a subset less InvalidOperationException.
    private static bool IsRequestDecodeError(Exception e) => Server.GrpcErrors.IsDecodeError(e);

    private static bool IsResponseDecodeError(Exception e) => GrpcClientErrors.CodecFailure(e) is not null;

    private sealed class ReadBoth(byte[] message) : IMethodVisitor<bool>
    {
        public bool Visit<TArgs, TResult, TCodec>(MethodDescriptor method, TArgs sample)
            where TArgs : struct, IWireArgs<TArgs>
            where TCodec : IWireCodec<TResult>
        {
            try { _ = ProtobufReader.ReadArgs<TArgs>(message); }
            catch (Exception e) when (IsRequestDecodeError(e)) { }
            try { _ = GrpcMethod.For(method).ReadResponse<TResult, TCodec>(message); }
            catch (Exception e) when (IsResponseDecodeError(e)) { }
            return true;
        }
    }

    [Fact]
    public void Protobuf_messages_of_any_bytes_read_or_fail_with_a_decode_error()
    {
        Gen<(byte[] Message, int Probe)> inputs = Messages().Zip(Gen.Choose(0, s_probes.Count - 1));
        Fuzz.Check("protobuf", inputs, input =>
        {
            MethodProbe probe = s_probes[input.Probe];
            long before = GC.GetAllocatedBytesForCurrentThread();
            probe.Accept(new ReadBoth(input.Message));
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            // A length or a count on the wire reserves nothing by itself: what is allocated follows what arrived.
            Assert.True(allocated <= 64L * input.Message.Length + 64 * 1024,
                $"{allocated} bytes allocated reading {input.Message.Length} bytes as {probe}: {Fuzz.Show(input.Message)}");
            return true;
        }, maxTest: 3000);
    }

    // A payload as grpc-dotnet hands it to a marshaller: a sequence whose segments end wherever the frames' bytes did.
    private sealed class Payload(ReadOnlySequence<byte> bytes) : DeserializationContext
    {
        public override int PayloadLength => (int)bytes.Length;
        public override byte[] PayloadAsNewBuffer() => bytes.ToArray();
        public override ReadOnlySequence<byte> PayloadAsReadOnlySequence() => bytes;
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, Segment? previous)
        {
            Memory = memory;
            if (previous is not null)
            {
                RunningIndex = previous.RunningIndex + previous.Memory.Length;
                previous.Next = this;
            }
        }
    }

    private static ReadOnlySequence<byte> Cut(byte[] bytes, int[] pieces)
    {
        if (pieces.Length <= 1) return new ReadOnlySequence<byte>(bytes);
        Segment first = null!, last = null!;
        int offset = 0;
        foreach (int piece in pieces)
        {
            last = new Segment(bytes.AsMemory(offset, piece), last);
            first ??= last;
            offset += piece;
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Deserialize(byte[] message, int[] pieces) : IMethodVisitor<string>
    {
        public string Visit<TArgs, TResult, TCodec>(MethodDescriptor method, TArgs sample)
            where TArgs : struct, IWireArgs<TArgs>
            where TCodec : IWireCodec<TResult>
        {
            string Outcome<T>(Marshaller<T> marshaller, ReadOnlySequence<byte> bytes, Func<Exception, bool> documented)
            {
                try
                {
                    _ = marshaller.ContextualDeserializer(new Payload(bytes));
                    return "ok";
                }
                catch (Exception e) when (documented(e))
                {
                    return e.GetType().Name + ": " + e.Message;
                }
            }
            var request = GrpcMarshallers.GetRequestMarshaller<TArgs>();
            var response = GrpcMarshallers.GetResponseMarshaller<TResult, TCodec>(method);
            string whole = Outcome(request, new ReadOnlySequence<byte>(message), IsRequestDecodeError) + " | " + Outcome(response, new ReadOnlySequence<byte>(message), IsResponseDecodeError);
            string cut = Outcome(request, Cut(message, pieces), IsRequestDecodeError) + " | " + Outcome(response, Cut(message, pieces), IsResponseDecodeError);
            Assert.True(whole == cut, $"{method.WireName}: whole {whole}; in {pieces.Length} segments {cut}");
            return whole;
        }
    }

    [Fact]
    public void Marshallers_read_a_payload_the_same_whatever_segments_it_arrives_in()
    {
        Gen<((byte[] Bytes, int[] Pieces) Chunked, int Probe)> inputs = Fuzz.Chunked(Messages(), maxPiece: 16).Zip(Gen.Choose(0, s_probes.Count - 1));
        Fuzz.Check("grpc/marshallers", inputs, input =>
        {
            s_probes[input.Probe].Accept(new Deserialize(input.Chunked.Bytes, input.Chunked.Pieces));
            return true;
        }, maxTest: 1000);
    }

    private static readonly VerifiedGzipCompressionProvider s_gzip = new();

    private static byte[] Compress(byte[] data)
    {
        var compressed = new MemoryStream();
        using (Stream zip = s_gzip.CreateCompressionStream(compressed, CompressionLevel.Fastest)) zip.Write(data);
        return compressed.ToArray();
    }

    // Hands out at most the next piece's size per read.
    private sealed class Trickle(byte[] data, int[] pieces) : MemoryStream(data)
    {
        private int _next;

        public override int Read(byte[] buffer, int offset, int count)
            => base.Read(buffer, offset, Math.Min(count, _next < pieces.Length ? pieces[_next++] : 4096));
    }

    [Fact]
    public void Gzip_messages_decompress_whole_and_verified_or_are_INTERNAL()
    {
        // Data that compresses a little, a lot (zeros: up to a 1000:1 bomb) or not at all; the gzip of it whole, cut,
        // mutated, or noise with a gzip header in front.
        Gen<byte[]> data = Gen.OneOf(
            Fuzz.Bytes(2048),
            Gen.Choose(0, 4 * 1024 * 1024).Select(n => new byte[n]),
            Gen.Elements("hello"u8.ToArray(), "AddRequest"u8.ToArray()).SelectMany(t => Gen.Choose(1, 500).Select(n => Enumerable.Repeat(t, n).SelectMany(x => x).ToArray())));
        Gen<(byte[] Original, byte[] Compressed)> whole = data.Select(d => (d, Compress(d)));
        // Expect: 0 the original back, 1 INTERNAL (a cut of a whole message; zero bytes are an empty message), 2 either.
        Gen<(int Expect, byte[] Original, byte[] Compressed)> inputs = Gen.Frequency(
            (2, whole.Select(w => (0, w.Original, w.Compressed))),
            (2, whole.Where(w => w.Compressed.Length > 0).SelectMany(w => Gen.Choose(1, w.Compressed.Length - 1).Select(n => (1, w.Original, w.Compressed[..n])))),
            (4, Fuzz.Mutated(whole.Select(w => w.Compressed)).Select(c => (2, Array.Empty<byte>(), c))),
            (1, Fuzz.Bytes(256).Select(b => (2, Array.Empty<byte>(), (byte[])[0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 0xff, .. b]))));
        Gen<((int Expect, byte[] Original, byte[] Compressed) Input, int[] Pieces)> chunked =
            inputs.SelectMany(i => Fuzz.Pieces(i.Compressed.Length, 512).Select(p => (i, p)));
        byte[] sink = new byte[16 * 1024];
        Fuzz.Check("grpc/gzip", chunked, input =>
        {
            (int expect, byte[]? original, byte[] compressed) = input.Input;
            if (expect != 0) original = null;
            long before = GC.GetAllocatedBytesForCurrentThread();
            long length = 0;
            string? failure = null;
            try
            {
                using Stream unzip = s_gzip.CreateDecompressionStream(new Trickle(compressed, input.Pieces));
                int read;
                while ((read = unzip.Read(sink)) > 0)
                {
                    length += read;
                    if (original is not null && length <= original.Length)
                        Assert.True(sink.AsSpan(0, read).SequenceEqual(original.AsSpan((int)length - read, read)), "decompressed bytes differ");
                }
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Internal)
            {
                failure = e.Status.Detail;
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (expect == 0)
                Assert.True(failure is null && length == original!.Length, $"a whole message of {original!.Length} bytes: {failure ?? length + " bytes out"}");
            if (expect == 1)
                Assert.True(failure is not null, $"{compressed.Length} bytes of a gzip message cut short were taken as {length} bytes: {Fuzz.Show(compressed)}");
            // Memory: the inflater's own buffers and what came in, never what it inflates to.
            Assert.True(allocated <= 4L * compressed.Length + 256 * 1024, $"{allocated} bytes allocated for {compressed.Length} in, {length} out");
            return true;
        }, maxTest: 300);
    }
}
