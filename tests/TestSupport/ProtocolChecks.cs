using System.Buffers;
using FsCheck;
using FsCheck.Fluent;
using SidecarKit.Rpc;
using SidecarKit.Wire;
using Xunit;

namespace SidecarKit.Tests.Support;

/// <summary>
/// What a protocol may do with bytes from the other side, checked the same way for every message-based protocol: the
/// envelope is one of the documented kinds, and reading a payload with a method's generated codecs fails only with the
/// exceptions the call engine turns into an error answer.
/// </summary>
public static class ProtocolChecks
{
    /// <summary>The exceptions the call engine catches around a payload read (-32602 for params, a protocol error for results).</summary>
    public static bool IsDocumented(Exception e)
        => e is WireFormatException or FormatException or OverflowException or InvalidOperationException;

    private static readonly int[] s_invalidCodes =
        [RpcErrorCodes.ParseError, RpcErrorCodes.InvalidRequest, RpcErrorCodes.MessageTooLarge, RpcErrorCodes.NestingTooDeep];

    /// <summary>
    /// Checks one message taken from the bytes: its kind and, for an invalid one, its code; then reads its payload as
    /// <paramref name="probe"/>'s params or result, and its error data, as the engine would.
    /// </summary>
    public static void CheckMessage(RpcProtocol protocol, in RpcMessage message, MethodProbe probe)
    {
        switch (message.Kind)
        {
            case RpcMessageKind.Request or RpcMessageKind.Notification:
                Assert.NotNull(message.Method);
                probe.Accept(new ReadPayload(protocol, message, result: false));
                break;
            case RpcMessageKind.Result:
                Assert.True(message.Id.IsPresent, "a result without an id");
                probe.Accept(new ReadPayload(protocol, message, result: true));
                break;
            case RpcMessageKind.Error:
                Assert.True(message.Id.IsPresent, "an error without an id");
                // The engine builds the remote exception from it, dropping data it cannot take (a bug the fuzz found:
                // it used to throw out of the read loop); the data's JSON form, asked for, is there or a clear
                // InvalidDataException; nothing else may escape.
                try
                {
                    if (protocol.ReadErrorData(in message) is { } data) _ = data.ToJson();
                }
                catch (Exception e) when (IsDocumented(e) || e is InvalidDataException) { }
                break;
            case RpcMessageKind.Invalid:
                Assert.Contains(message.ErrorCode, s_invalidCodes);
                Assert.False(string.IsNullOrEmpty(message.ErrorMessage));
                break;
            default:
                Assert.Fail($"message kind {message.Kind}");
                break;
        }
    }

    private sealed class ReadPayload(RpcProtocol protocol, RpcMessage message, bool result) : IMethodVisitor<bool>
    {
        public bool Visit<TArgs, TResult, TCodec>(MethodDescriptor method, TArgs sample)
            where TArgs : struct, IWireArgs<TArgs>
            where TCodec : IWireCodec<TResult>
        {
            try
            {
                if (result) _ = protocol.ReadResult<TResult, TCodec>(in message);
                else _ = protocol.ReadArgs<TArgs>(in message);
            }
            catch (Exception e) when (IsDocumented(e)) { }
            return true;
        }
    }

    /// <summary>
    /// Valid messages of every kind, written by <paramref name="protocol"/> itself (framing included): requests and
    /// notifications carrying each probe's sample arguments, results, errors, deeply nested params.
    /// </summary>
    public static Gen<byte[]> ValidMessages(Func<RpcProtocol> protocol, IReadOnlyList<MethodProbe> probes)
    {
        Gen<byte[]> one =
            from kind in Gen.Choose(0, 4)
            from index in Gen.Choose(0, probes.Count - 1)
            from id in Gen.Choose(-3, 1_000_000)
            from depth in Gen.Choose(1, 200)
            select Write(protocol(), kind, probes[index], id, depth);
        return from count in Gen.Choose(1, 4)
               from messages in Gen.ArrayOf(one, count)
               select messages.SelectMany(m => m).ToArray();
    }

    private static byte[] Write(RpcProtocol protocol, int kind, MethodProbe probe, long id, int depth)
    {
        var output = new ArrayBufferWriter<byte>();
        RequestId requestId = id % 3 == 0 ? RequestId.FromString("r" + id) : RequestId.FromNumber(id);
        switch (kind)
        {
            case 0: probe.Accept(new WriteRequest(protocol, output, requestId)); break;
            case 1: probe.Accept(new WriteRequest(protocol, output, RequestId.None)); break;
            case 2: probe.Accept(new WriteResult(protocol, output, requestId)); break;
            case 3:
                using (var doc = System.Text.Json.JsonDocument.Parse($$"""{"detail":[1,"two",{"three":3.5}],"n":{{id}}}"""))
                    protocol.WriteError(output, requestId, RpcErrorCodes.InternalError - (int)(id % 50), "boom " + id, RpcErrorData.FromJson(doc.RootElement));
                break;
            default:
                protocol.WriteRequest(output, requestId, "x.deep", new Nested(depth));
                break;
        }
        return output.WrittenSpan.ToArray();
    }

    private sealed class WriteRequest(RpcProtocol protocol, IBufferWriter<byte> output, RequestId id) : IMethodVisitor<bool>
    {
        public bool Visit<TArgs, TResult, TCodec>(MethodDescriptor method, TArgs sample)
            where TArgs : struct, IWireArgs<TArgs>
            where TCodec : IWireCodec<TResult>
        {
            protocol.WriteRequest(output, id, method.WireName, sample);
            return true;
        }
    }

    private sealed class WriteResult(RpcProtocol protocol, IBufferWriter<byte> output, RequestId id) : IMethodVisitor<bool>
    {
        public bool Visit<TArgs, TResult, TCodec>(MethodDescriptor method, TArgs sample)
            where TArgs : struct, IWireArgs<TArgs>
            where TCodec : IWireCodec<TResult>
        {
            protocol.WriteResult<TResult, TCodec>(output, id, default!);
            return true;
        }
    }

    /// <summary>Params of <c>depth</c> nested one-element arrays around a 0.</summary>
    private readonly struct Nested(int depth) : IWireArgs<Nested>
    {
        public void Write<TWriter>(ref TWriter writer) where TWriter : IWireWriter, allows ref struct
        {
            for (int i = 0; i < depth; i++) writer.WriteStartArray(1);
            writer.WriteInt64(0);
            for (int i = 0; i < depth; i++) writer.WriteEndArray();
        }

        public static Nested Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct => throw new NotSupportedException();
    }
}
