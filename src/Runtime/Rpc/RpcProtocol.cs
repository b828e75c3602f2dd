using System.Buffers;
using System.Text.Json;
using SidecarKit.Wire;

namespace SidecarKit.Rpc;

/// <summary>
/// An envelope and a format (JSON-RPC 2.0 in JSON, MessagePack-RPC in MessagePack) composed with a framing
/// (<see cref="Framing.RpcFraming"/>: newline-delimited, <c>Content-Length</c> headers, one MessagePack object after
/// another) that finds where each message ends. One instance serves one connection: its reading half is used only by
/// the connection's read loop and its writing half only under the connection's write lock, so it may keep
/// per-connection scratch state.
/// </summary>
public abstract class RpcProtocol
{
    /// <summary>The protocol's name (<c>jsonl</c>, <c>jsonrpc</c>, <c>msgpack</c>).</summary>
    public abstract string Name { get; }

    /// <summary>
    /// Takes the next whole message from <paramref name="buffer"/>, advancing it past what was consumed. Returns
    /// <see langword="false"/> when more bytes are needed. A message that cannot be understood is returned as
    /// <see cref="RpcMessageKind.Invalid"/>, and the protocol resynchronises on the next message; when the framing
    /// cannot find the next message at all, it throws <see cref="InvalidDataException"/> and the connection closes.
    /// <paramref name="isCompleted"/> says no more bytes will come, so a final unterminated message may be taken.
    /// The message's payload may be a slice of <paramref name="buffer"/>'s memory: it is read, and the message
    /// released, before the caller advances its reader past those bytes.
    /// </summary>
    public abstract bool TryReadMessage(ref ReadOnlySequence<byte> buffer, bool isCompleted, out RpcMessage message);

    /// <summary>Releases what a message holds (a rented buffer). Called once per message after it was handled.</summary>
    public virtual void Release(in RpcMessage message) { }

    /// <summary>
    /// Writes a request (or, when <paramref name="id"/> is <see cref="RequestId.None"/>, a notification), with the trace
    /// context <paramref name="trace"/> when it is not empty (see <see cref="Diagnostics.RpcTraceContext"/>).
    /// </summary>
    public abstract void WriteRequest<TArgs>(IBufferWriter<byte> output, RequestId id, string method, in TArgs args, Diagnostics.RpcTraceContext trace = default)
        where TArgs : struct, IWireArgs<TArgs>;

    /// <summary>The trace context a request or notification carries; empty when it carries none.</summary>
    public virtual Diagnostics.RpcTraceContext ReadTraceContext(in RpcMessage message) => default;

    /// <summary>The <c>rpc.system</c> that telemetry reports for this protocol (<c>jsonrpc</c>, <c>msgpack-rpc</c>).</summary>
    public virtual string RpcSystem => Name;

    /// <summary>Writes a successful response.</summary>
    public abstract void WriteResult<T, TCodec>(IBufferWriter<byte> output, RequestId id, T value)
        where TCodec : IWireCodec<T>;

    /// <summary>
    /// Writes an error response. <paramref name="data"/> in this protocol's own format is written as it is; data of another
    /// format is converted here (an error relayed from a sidecar on another transport), once.
    /// </summary>
    public abstract void WriteError(IBufferWriter<byte> output, RequestId id, int code, string message, RpcErrorData? data);

    /// <summary>Decodes a request's or notification's params.</summary>
    public abstract TArgs ReadArgs<TArgs>(in RpcMessage message) where TArgs : struct, IWireArgs<TArgs>;

    /// <summary>Decodes a result.</summary>
    public abstract T ReadResult<T, TCodec>(in RpcMessage message) where TCodec : IWireCodec<T>;

    /// <summary>
    /// An error's data member, if any, as its encoded payload in this protocol's format (copied out of the message, not
    /// decoded: the call engine never looks inside). Throws <see cref="WireFormatException"/> when it cannot be taken
    /// (the caller then gets the error without its data).
    /// </summary>
    public abstract RpcErrorData? ReadErrorData(in RpcMessage message);

    /// <summary>
    /// What a null result means for <typeparamref name="T"/>: null for reference types, nullable value types and void
    /// methods; for an int or a bool it is not a value, and must not silently become 0 or false.
    /// </summary>
    protected static T NullResult<T>()
    {
        if (default(T) is not null && typeof(T) != typeof(VoidResult))
            throw new WireFormatException($"expected a value of type {typeof(T).Name}, found null.");
        return default!;
    }
}
