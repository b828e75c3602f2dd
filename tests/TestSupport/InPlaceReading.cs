using System.Buffers;
using System.Runtime.InteropServices;
using SidecarKit.Rpc;
using SidecarKit.Wire;
using Xunit;

namespace SidecarKit.Tests.Support;

/// <summary>
/// How a protocol takes a message's bytes, checked the same way for every message-based protocol: a message that lies
/// in one segment of the input is read in place (its payload is a slice of the input, nothing is rented), one that
/// straddles two segments is read from a copy in a rented array; the values read are the same either way, and none of
/// them changes when the input's memory, or the copy, is reused after the message is released (the read loop advances
/// past it only then).
/// </summary>
public static class InPlaceReading
{
    private static readonly string s_text = new string('x', 200) + " é ✓ \"quoted\"";
    private static readonly byte[] s_bytes = Enumerable.Range(0, 300).Select(i => (byte)(i * 7)).ToArray();

    /// <summary>
    /// Writes a string result, a bytes result and an error with data with a protocol from <paramref name="create"/>,
    /// then reads them back whole and cut into two segments at every byte.
    /// </summary>
    public static void Check(Func<RpcProtocol> create)
    {
        var output = new ArrayBufferWriter<byte>();
        RpcProtocol writer = create();
        writer.WriteResult<string, WireCodecs.String>(output, RequestId.FromNumber(1), s_text);
        writer.WriteResult<ReadOnlyMemory<byte>, WireCodecs.ReadOnlyByteMemory>(output, RequestId.FromNumber(2), s_bytes);
        writer.WriteError(output, RequestId.FromNumber(3), 42, "boom", RpcErrorData.FromUtf8Json("""{"k":[1,2]}"""u8.ToArray()));
        byte[] sample = output.WrittenSpan.ToArray();

        int inPlace = 0, copied = 0;
        for (int cut = 0; cut < sample.Length; cut++)
        {
            byte[] input = sample.ToArray(); // overwritten after each message is released
            ReadOnlySequence<byte> buffer = cut == 0 ? new(input) : Sequences.Split(input, cut);
            RpcProtocol reader = create();
            for (int id = 1; id <= 3; id++)
            {
                long start = input.Length - buffer.Length;
                Assert.True(reader.TryReadMessage(ref buffer, false, out RpcMessage message), $"message {id}, cut at {cut}");
                long end = input.Length - buffer.Length;
                bool fromInput = MemoryMarshal.TryGetArray(message.Payload, out ArraySegment<byte> payload) && payload.Array == input;
                // Where the payload lies in the input: its own offset when read in place, else found in the message's bytes.
                int payloadStart = fromInput ? payload.Offset : (int)start + sample.AsSpan((int)start, (int)(end - start)).IndexOf(message.Payload.Span);
                int payloadEnd = payloadStart + message.Payload.Length;
                Assert.True(payloadStart >= start && payloadEnd <= end, $"message {id}: its payload is not among its own bytes");
                // A message that ends or starts right at the cut may be either (a slice's end can be the next segment's start).
                if (cut == 0 || end < cut || start > cut)
                {
                    Assert.True(fromInput && message.State is null, $"message {id} lies in one segment (cut at {cut}) but was copied");
                    inPlace++;
                }
                else if (payloadStart < cut && cut < payloadEnd)
                {
                    Assert.False(fromInput, $"message {id}'s payload straddles the cut at {cut} but is the input's memory");
                    Assert.True(message.State is byte[], $"message {id} was copied (cut at {cut}) but holds no rented array to give back");
                    copied++;
                }
                object? value = id switch
                {
                    1 => reader.ReadResult<string, WireCodecs.String>(in message),
                    2 => reader.ReadResult<ReadOnlyMemory<byte>, WireCodecs.ReadOnlyByteMemory>(in message),
                    _ => reader.ReadErrorData(in message),
                };
                Assert.Equal(RequestId.FromNumber(id), message.Id);
                Assert.Equal(id == 3 ? RpcMessageKind.Error : RpcMessageKind.Result, message.Kind);
                // Wiped before it goes back to the shared pool (after, it may be another test's): a value that kept a
                // slice of the copy would change here.
                if (message.State is byte[] copy) Array.Clear(copy);
                reader.Release(in message);
                input.AsSpan((int)start, (int)(end - start)).Clear(); // its bytes are consumed: the next read may reuse them
                switch (value)
                {
                    case string s: Assert.Equal(s_text, s); break;
                    case ReadOnlyMemory<byte> b: Assert.Equal(s_bytes, b.ToArray()); break;
                    case RpcErrorData data:
                        Assert.Equal(42, message.ErrorCode);
                        Assert.Equal("""{"k":[1,2]}""", data.ToJson().GetRawText().Replace(" ", ""));
                        break;
                    default: Assert.Fail($"message {id}: {value}"); break;
                }
            }
        }
        Assert.True(inPlace > 0 && copied > 0, $"{inPlace} messages read in place, {copied} from a copy: both ways must be exercised");
    }
}
