using System.Buffers;
using SidecarKit.Rpc.Framing;

namespace SidecarKit.Transports.MessagePack;

/// <summary>
/// One MessagePack object after another, with no length prefix (MessagePack-RPC): where an object ends is found by
/// walking its headers without decoding it, resuming where the previous read stopped, so the cost is linear in the
/// bytes received however they are cut. Bytes that are not MessagePack, or an object over the size or depth limit
/// (refused as soon as a header announces it), are <see cref="RpcFrameStatus.Invalid"/>: without a length prefix the
/// stream cannot be resynchronised. Writing adds nothing around a message.
/// </summary>
public sealed class MessagePackObjectFraming : RpcFraming
{
    private readonly MessagePackObjectScanner _scanner;

    /// <summary>Creates the framing for one connection.</summary>
    /// <param name="maxMessageSize">The largest object accepted, in bytes.</param>
    /// <param name="maxDepth">The deepest nesting of arrays and maps accepted.</param>
    public MessagePackObjectFraming(int maxMessageSize = DefaultMaxMessageSize, int maxDepth = MessagePackWireReader.MaxDepth) : base(maxMessageSize)
    {
        _scanner = new MessagePackObjectScanner(maxDepth, maxMessageSize);
    }

    /// <summary>The bytes the framing has looked at so far (not counting bodies stepped over): its work, for tests.</summary>
    internal long BytesExamined => _scanner.BytesExamined;

    /// <inheritdoc />
    public override string Name => "msgpack-object";

    /// <inheritdoc />
    public override RpcFrameStatus TryReadFrame(ref ReadOnlySequence<byte> buffer, bool isCompleted,
        out ReadOnlySequence<byte> frame, out string? error)
    {
        frame = default;
        error = null;
        if (buffer.IsEmpty) return RpcFrameStatus.Incomplete;
        switch (_scanner.TryGetObject(buffer, out long length, out error))
        {
            case FrameStatus.Complete:
                frame = buffer.Slice(0, length);
                buffer = buffer.Slice(length);
                return RpcFrameStatus.Complete;
            case FrameStatus.Incomplete:
                if (!isCompleted) return RpcFrameStatus.Incomplete;
                _scanner.Reset();
                error = $"the stream ended inside a message ({buffer.Length} bytes).";
                return RpcFrameStatus.Invalid;
            default:
                error += " The connection is closed: a stream of MessagePack objects cannot be resynchronised.";
                return RpcFrameStatus.Invalid;
        }
    }

    /// <inheritdoc />
    public override IBufferWriter<byte> BeginFrame(IBufferWriter<byte> output) => output;

    /// <inheritdoc />
    public override void EndFrame(IBufferWriter<byte> output) { }
}
