using System.Buffers;
using System.Text.Json;
using SidecarKit.Wire;

namespace SidecarKit.Rpc;

/// <summary>A message waiting to be written; a struct per kind so sending allocates nothing.</summary>
internal interface IOutgoingMessage
{
    void Write(RpcProtocol protocol, IBufferWriter<byte> output);
}

internal readonly struct RequestMessage<TArgs>(RequestId id, string method, TArgs args, Diagnostics.RpcTraceContext trace = default) : IOutgoingMessage
    where TArgs : struct, IWireArgs<TArgs>
{
    public void Write(RpcProtocol protocol, IBufferWriter<byte> output) => protocol.WriteRequest(output, id, method, in args, trace);
}

internal readonly struct ResultMessage<T, TCodec>(RequestId id, T value) : IOutgoingMessage
    where TCodec : IWireCodec<T>
{
    public void Write(RpcProtocol protocol, IBufferWriter<byte> output) => protocol.WriteResult<T, TCodec>(output, id, value);
}

internal readonly struct ErrorMessage(RequestId id, int code, string message, RpcErrorData? data) : IOutgoingMessage
{
    public void Write(RpcProtocol protocol, IBufferWriter<byte> output) => protocol.WriteError(output, id, code, message, data);
}
