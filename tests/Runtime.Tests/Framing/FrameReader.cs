using System.Buffers;
using System.Text;
using SidecarKit.Rpc.Framing;

namespace SidecarKit.Runtime.Tests.Framing;

/// <summary>
/// Feeds bytes to a framing the way the connection's read loop does: what is not consumed stays for the next read,
/// and frames are taken until the framing needs more bytes.
/// </summary>
internal sealed class FrameReader(RpcFraming framing)
{
    private byte[] _pending = [];

    public int Buffered => _pending.Length;

    /// <summary>Adds bytes and takes every frame (or error) they complete.</summary>
    public List<(RpcFrameStatus Status, string Text)> Feed(byte[] bytes, bool isCompleted = false)
    {
        _pending = [.. _pending, .. bytes];
        var results = new List<(RpcFrameStatus, string)>();
        var buffer = new ReadOnlySequence<byte>(_pending);
        while (true)
        {
            RpcFrameStatus status = framing.TryReadFrame(ref buffer, isCompleted, out ReadOnlySequence<byte> frame, out string? error);
            if (status == RpcFrameStatus.Incomplete) break;
            results.Add((status, status == RpcFrameStatus.Complete ? Encoding.UTF8.GetString(frame) : error!));
            if (status == RpcFrameStatus.Invalid) break;
        }
        _pending = buffer.ToArray();
        return results;
    }

    public List<(RpcFrameStatus Status, string Text)> Feed(string text, bool isCompleted = false) => Feed(Encoding.UTF8.GetBytes(text), isCompleted);
}
