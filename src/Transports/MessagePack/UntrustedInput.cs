using System.Text;
using MessagePack;
using SidecarKit.Rpc;
using SidecarKit.Wire;

namespace SidecarKit.Transports.MessagePack;

/// <summary>
/// What reading the other side's bytes with MessagePack-CSharp's <see cref="MessagePackReader"/> adds on top of it:
/// a nesting limit, strings held to strict UTF-8, and the library's exceptions turned into
/// <see cref="WireFormatException"/>, the one the call engine answers with -32602 / -32600.
/// </summary>
/// <remarks>
/// <c>MessagePackSecurity.UntrustedData</c> is not used, though its settings are followed: the object graph depth is
/// enforced here on the reader's own <see cref="MessagePackReader.Depth"/> (and before that by
/// <see cref="MessagePackFraming"/>); hash-collision-resistant comparers matter to the serializer's dictionaries, and
/// our codecs build <c>Dictionary&lt;string, T&gt;</c>, whose string hashing .NET already randomizes; the decompressed
/// size limit is for LZ4, which this transport does not use. Merely creating a <c>MessagePackSecurity</c> keeps its
/// object comparer, which calls <c>MakeGenericMethod</c>, in a trimmed app: IL2060, the one trim warning the library
/// would bring.
/// </remarks>
internal static class UntrustedInput
{
    /// <summary>Steps <paramref name="r"/> one container deeper, refusing more than <see cref="MessagePackWireReader.MaxDepth"/> levels.</summary>
    public static void DepthStep(ref MessagePackReader r)
    {
        if (r.Depth >= MessagePackWireReader.MaxDepth) throw new WireFormatException($"nesting deeper than {MessagePackWireReader.MaxDepth} levels.");
        r.Depth++;
    }

    // The library decodes strings leniently (invalid bytes become U+FFFD); the protocol refuses them (-32602).
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Whether <paramref name="e"/> is how MessagePack-CSharp's reader says the bytes are not what was asked for.</summary>
    public static bool IsMalformed(Exception e)
        => e is MessagePackSerializationException or EndOfStreamException or OverflowException or WireFormatException;

    /// <summary>The library's exception as a <see cref="WireFormatException"/> that says what was expected.</summary>
    public static WireFormatException Malformed(Exception e, string expected) => e switch
    {
        WireFormatException w => w,
        EndOfStreamException => new WireFormatException("the MessagePack value is truncated.", e),
        OverflowException => new WireFormatException($"{expected} is out of range.", e),
        _ => new WireFormatException($"expected {expected}: {e.Message}", e),
    };

    /// <summary>
    /// Reads a string, refusing nil and invalid UTF-8. With <paramref name="names"/> (for a name read again and again:
    /// a method's), one seen before comes back as the same string, checked and decoded once.
    /// </summary>
    public static string ReadString(ref MessagePackReader r, MethodNameCache? names = null)
    {
        if (r.NextMessagePackType != MessagePackType.String)
            throw new WireFormatException($"expected a string, found {Describe(r.NextCode)} at byte {r.Consumed}.");
        try
        {
            if (!r.TryReadStringSpan(out ReadOnlySpan<byte> utf8)) return s_strictUtf8.GetString(r.ReadStringSequence()!.Value);
            if (names is null) return s_strictUtf8.GetString(utf8);
            return names.TryGet(utf8, out string? known) ? known : names.Remember(utf8, s_strictUtf8.GetString(utf8));
        }
        catch (DecoderFallbackException e)
        {
            throw new WireFormatException("a string is not valid UTF-8.", e);
        }
    }

    /// <summary>What a format byte starts, in words, for error messages.</summary>
    public static string Describe(byte code) => MessagePackCode.ToMessagePackType(code) switch
    {
        MessagePackType.Nil => "nil",
        MessagePackType.Boolean => "a Boolean",
        MessagePackType.Integer => "an integer",
        MessagePackType.Float => "a float",
        MessagePackType.String => "a string",
        MessagePackType.Binary => "a byte string",
        MessagePackType.Array => "an array",
        MessagePackType.Map => "a map",
        MessagePackType.Extension => "an extension",
        _ => $"the reserved byte 0x{code:x2}",
    };
}
