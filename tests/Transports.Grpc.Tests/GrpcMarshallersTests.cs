using System.Buffers;
using Grpc.Core;
using SidecarKit.Samples.Demo;
using SidecarKit.Tests.Support;
using SidecarKit.Transports.Grpc.Marshalling;
using SidecarKit.Wire;

namespace SidecarKit.Transports.Grpc.Tests;

/// <summary>The marshallers grpc-dotnet calls, through its contextual API: the bytes they write, and reads of payloads in several segments.</summary>
public class GrpcMarshallersTests
{
    private static MethodDescriptor Method(string wireName) => Descriptor<IDemo>().Methods.Single(m => m.WireName == wireName);

    private static ContractDescriptor Descriptor<T>() where T : class, ISidecarContract<T> => T.Descriptor;

    [Fact]
    public void Responses_are_written_whole_after_their_length_and_read_from_any_segmentation()
    {
        Marshaller<GrpcResponse<int>> add = GrpcMarshallers.GetResponseMarshaller<int, WireCodecs.Int32>(Method("demo.add"));
        var written = new Writing();
        add.ContextualSerializer(new GrpcResponse<int>(5), written);
        Assert.Equal([0x08, 0x05], written.Bytes);   // AddResponse { result = 5 }
        Assert.Equal(2, written.PayloadLength);
        Assert.Equal(5, add.ContextualDeserializer(new Reading(written.Bytes, 1)).Value);

        Marshaller<GrpcResponse<byte[]>> blob = GrpcMarshallers.GetResponseMarshaller<byte[], WireCodecs.ByteArray>(Method("demo.blob"));
        byte[] bytes = [.. Enumerable.Range(0, 10_000).Select(i => (byte)i)];
        written = new Writing();
        blob.ContextualSerializer(new GrpcResponse<byte[]>(bytes), written);
        Assert.Equal(written.Bytes.Length, written.PayloadLength);
        foreach (int segments in new[] { 1, 2, 7 })
            Assert.Equal(bytes, blob.ContextualDeserializer(new Reading(written.Bytes, segments)).Value);

        // A method without a result: google.protobuf.Empty, no bytes.
        Marshaller<GrpcResponse<VoidResult>> log = GrpcMarshallers.GetResponseMarshaller<VoidResult, WireCodecs.Void>(Method("demo.log"));
        written = new Writing();
        log.ContextualSerializer(GrpcResponse<VoidResult>.Default, written);
        Assert.Empty(written.Bytes);
    }

    [Fact]
    public void Methods_are_built_once_with_the_contracts_paths_and_types()
    {
        Method<GrpcRequest<NoArgs>, GrpcResponse<int>> count = GrpcMarshallers.GetMethod<NoArgs, int, WireCodecs.Int32>(Method("demo.count"));
        Assert.Same(count, GrpcMarshallers.GetMethod<NoArgs, int, WireCodecs.Int32>(Method("demo.count")));
        Assert.Equal(("/sidecarkit.demo.Demo/Count", MethodType.ServerStreaming), (count.FullName, count.Type));
        Assert.Equal(MethodType.Unary, GrpcMarshallers.GetMethodType(Method("demo.log")));
    }

    [Fact]
    public void A_response_that_does_not_decode_fails_with_the_codecs_error()
    {
        Marshaller<GrpcResponse<int>> add = GrpcMarshallers.GetResponseMarshaller<int, WireCodecs.Int32>(Method("demo.add"));
        Assert.ThrowsAny<Exception>(() => add.ContextualDeserializer(new Reading([0x08], 1)));   // a varint cut short
    }

    private sealed class Writing : SerializationContext
    {
        private readonly ArrayBufferWriter<byte> _buffer = new();
        private bool _complete;

        public int? PayloadLength { get; private set; }

        public byte[] Bytes => _complete ? _buffer.WrittenSpan.ToArray() : throw new InvalidOperationException("not completed");

        public override void SetPayloadLength(int payloadLength) => PayloadLength = payloadLength;

        public override IBufferWriter<byte> GetBufferWriter() => _buffer;

        public override void Complete() => _complete = true;

        public override void Complete(byte[] payload) => throw new InvalidOperationException("the marshallers write into the buffer writer");
    }

    private sealed class Reading(byte[] payload, int segments) : DeserializationContext
    {
        public override int PayloadLength => payload.Length;

        public override byte[] PayloadAsNewBuffer() => throw new InvalidOperationException("the marshallers read the sequence");

        public override ReadOnlySequence<byte> PayloadAsReadOnlySequence()
        {
            if (segments == 1 || payload.Length < segments) return new ReadOnlySequence<byte>(payload);
            return Sequences.InSegmentsOf(payload, payload.Length / segments);
        }
    }
}
