using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace SidecarKit.Rpc.Framing;

/// <summary>
/// Messages preceded by HTTP-style headers, the framing of LSP, vscode-jsonrpc and StreamJsonRpc's
/// <c>HeaderDelimitedMessageHandler</c>: <c>Content-Length: N\r\n</c>, optionally other headers such as
/// <c>Content-Type: …\r\n</c>, then <c>\r\n</c> and exactly N bytes of body.
/// </summary>
/// <remarks>
/// <para>Reading: header names are matched without regard to case; headers other than <c>Content-Length</c> (including
/// <c>Content-Type</c>) are ignored. A <c>Content-Length</c> over the size limit is reported at once and its body
/// discarded as it arrives, without buffering it: the stream stays in step. A header section that is missing
/// <c>Content-Length</c>, repeats it, gives it a value that is not a non-negative decimal integer, holds a line that is
/// not <c>Name: value</c> (the name an HTTP token), or is longer than <see cref="MaxHeaderSize"/> is <see cref="RpcFrameStatus.Invalid"/>: without
/// a trustworthy length the next message cannot be found, so the connection closes. So does a stream that ends inside
/// a header section or a body.</para>
/// <para>Between a call that answers <see cref="RpcFrameStatus.Incomplete"/> and the next, the buffer starts at the same
/// byte and holds at least as much (the connection's read loop leaves an incomplete message unconsumed): the search for
/// the blank line resumes where it stopped, and headers already read are not read again while the body arrives, so the
/// cost is linear in the bytes received however they are cut.</para>
/// <para>Writing: only <c>Content-Length</c> is sent. The body is written into a buffer this framing keeps and reuses
/// (so it can be measured before its header is written), then copied out after the header: no allocation per message.</para>
/// </remarks>
public sealed class ContentLengthFraming : RpcFraming
{
    /// <summary>The default longest header section: 4 KiB (a real one is about 30 to 90 bytes).</summary>
    public const int DefaultMaxHeaderSize = 4096;

    private static ReadOnlySpan<byte> HeaderEnd => "\r\n\r\n"u8;

    // A header name is an HTTP token (RFC 9110): so JSON sent without headers is refused as such, not taken for one.
    private static readonly SearchValues<byte> s_tokenChars =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);
    private static ReadOnlySpan<byte> ContentLength => "Content-Length"u8;

    // A body buffer that grew past this for one large message is dropped afterwards rather than kept for the connection's life.
    private const int RetainedBodyCapacity = 1024 * 1024;

    private ArrayBufferWriter<byte> _body = new(1024);
    private long _discardRemaining;
    // Between a call that answered Incomplete and the next (which the read loop hands the same bytes and more): how far
    // the search for the end of the header section got, or the header section's length and the body's once read.
    private long _headerSearched;
    private long _pendingHeader;
    private long _pendingBody = -1;

    /// <summary>Creates the framing for one connection.</summary>
    /// <param name="maxMessageSize">The largest body accepted, in bytes.</param>
    /// <param name="maxHeaderSize">The longest header section accepted, in bytes, without the blank line that ends it.</param>
    public ContentLengthFraming(int maxMessageSize = DefaultMaxMessageSize, int maxHeaderSize = DefaultMaxHeaderSize) : base(maxMessageSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxHeaderSize, 32);
        MaxHeaderSize = maxHeaderSize;
    }

    /// <inheritdoc />
    public override string Name => "content-length";

    /// <summary>The longest header section accepted, in bytes, without the blank line that ends it.</summary>
    public int MaxHeaderSize { get; }

    /// <summary>
    /// The bytes looked at since this framing was created (searched for the end of a header section, then parsed; not
    /// the bodies, which are sliced, not read): its work, for tests that hold it to linear cost.
    /// </summary>
    internal long BytesExamined { get; private set; }

    // ------------------------------------------------------------------ reading

    /// <inheritdoc />
    public override RpcFrameStatus TryReadFrame(ref ReadOnlySequence<byte> buffer, bool isCompleted,
        out ReadOnlySequence<byte> frame, out string? error)
    {
        frame = default;
        error = null;
        if (_discardRemaining > 0)
        {
            // The rest of an oversize body: dropped as it arrives.
            long n = Math.Min(_discardRemaining, buffer.Length);
            buffer = buffer.Slice(n);
            _discardRemaining -= n;
            if (_discardRemaining > 0)
                return isCompleted ? Invalid($"the stream ended inside a message ({_discardRemaining} bytes of its body missing).", out error) : RpcFrameStatus.Incomplete;
        }
        if (buffer.IsEmpty) return RpcFrameStatus.Incomplete;

        long headerLength; // the header section with the blank line that ends it
        long length;
        if (_pendingBody >= 0)
        {
            // The headers of this message were read by an earlier call; only its body was missing.
            headerLength = _pendingHeader;
            length = _pendingBody;
        }
        else
        {
            // Only the first MaxHeaderSize bytes (and the blank line) can hold the end of the header section. The bytes an
            // earlier call searched in vain are not searched again (but for the last 3, where the blank line may start).
            long from = Math.Max(0, Math.Min(_headerSearched - (HeaderEnd.Length - 1), buffer.Length));
            var reader = new SequenceReader<byte>(buffer.Slice(0, Math.Min(buffer.Length, MaxHeaderSize + HeaderEnd.Length)));
            reader.Advance(from);
            if (!reader.TryReadTo(out ReadOnlySequence<byte> _, HeaderEnd))
            {
                BytesExamined += reader.Length - from;
                _headerSearched = reader.Length;
                if (buffer.Length >= MaxHeaderSize + HeaderEnd.Length)
                    return Invalid($"a header section longer than {MaxHeaderSize} bytes (no blank line ends it).", out error);
                return isCompleted ? Invalid($"the stream ended inside a header section ({buffer.Length} bytes).", out error) : RpcFrameStatus.Incomplete;
            }
            _headerSearched = 0;
            headerLength = reader.Consumed;
            ReadOnlySequence<byte> headers = buffer.Slice(0, headerLength - HeaderEnd.Length);
            BytesExamined += headerLength - from + headers.Length; // searched, then parsed
            if (headers.Length > MaxHeaderSize)
                return Invalid($"a header section longer than {MaxHeaderSize} bytes.", out error);
            length = ParseHeaders(headers, out error);
            if (error is not null) return RpcFrameStatus.Invalid;
        }
        ReadOnlySequence<byte> rest = buffer.Slice(headerLength);

        if (length > MaxMessageSize)
        {
            // Known length: skip the body without holding it, and go on with the next message.
            long n = Math.Min(length, rest.Length);
            buffer = rest.Slice(n);
            _discardRemaining = length - n;
            error = $"Message too large: a message may be at most {MaxMessageSize} bytes; this one has Content-Length: {length}.";
            return RpcFrameStatus.TooLarge;
        }
        if (rest.Length < length)
        {
            // Remembered, so that the headers are not read again with every piece of the body.
            _pendingHeader = headerLength;
            _pendingBody = length;
            return isCompleted ? Invalid($"the stream ended inside a message ({rest.Length} of its {length} bytes arrived).", out error) : RpcFrameStatus.Incomplete;
        }

        _pendingBody = -1;
        frame = rest.Slice(0, length);
        buffer = rest.Slice(length);
        return RpcFrameStatus.Complete;
    }

    // Returns the Content-Length, or sets error.
    private static long ParseHeaders(ReadOnlySequence<byte> headers, out string? error)
    {
        error = null;
        if (headers.IsSingleSegment) return ParseHeaders(headers.FirstSpan, out error);
        // Only when the header section straddles two of the reader's segments.
        byte[] copy = ArrayPool<byte>.Shared.Rent((int)headers.Length);
        try
        {
            headers.CopyTo(copy);
            return ParseHeaders(copy.AsSpan(0, (int)headers.Length), out error);
        }
        finally { ArrayPool<byte>.Shared.Return(copy); }
    }

    private static long ParseHeaders(ReadOnlySpan<byte> headers, out string? error)
    {
        error = null;
        long length = -1;
        while (true)
        {
            int end = headers.IndexOf("\r\n"u8);
            ReadOnlySpan<byte> line = end < 0 ? headers : headers[..end];
            int colon = line.IndexOf((byte)':');
            if (colon <= 0 || line[..colon].ContainsAnyExcept(s_tokenChars))
            {
                Invalid($"a header line that is not 'Name: value': \"{Show(line)}\".", out error);
                return -1;
            }
            if (Ascii.EqualsIgnoreCase(line[..colon], ContentLength))
            {
                if (length >= 0)
                {
                    Invalid("more than one Content-Length header.", out error);
                    return -1;
                }
                ReadOnlySpan<byte> value = line[(colon + 1)..].Trim(" \t"u8);
                // Digits only: no sign, no exponent, no white space inside; 18 digits cannot overflow a long.
                if (value.IsEmpty || value.Length > 18 || value.ContainsAnyExceptInRange((byte)'0', (byte)'9')
                    || !Utf8Parser.TryParse(value, out length, out _))
                {
                    Invalid($"Content-Length \"{Show(value)}\" is not a non-negative decimal integer (of at most 18 digits).", out error);
                    return -1;
                }
            }
            if (end < 0) break;
            headers = headers[(end + 2)..];
        }
        if (length < 0) Invalid("a header section without Content-Length.", out error);
        return length;
    }

    // Header bytes quoted in an error: printable ASCII only, and not too much of it.
    private static string Show(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder();
        foreach (byte b in bytes[..Math.Min(bytes.Length, 40)])
            sb.Append(b is >= 0x20 and < 0x7f ? (char)b : '?');
        if (bytes.Length > 40) sb.Append('…');
        return sb.ToString();
    }

    private static RpcFrameStatus Invalid(string reason, out string error)
    {
        error = reason;
        return RpcFrameStatus.Invalid;
    }

    // ------------------------------------------------------------------ writing

    /// <inheritdoc />
    public override IBufferWriter<byte> BeginFrame(IBufferWriter<byte> output)
    {
        _body.ResetWrittenCount();
        return _body;
    }

    /// <inheritdoc />
    public override void EndFrame(IBufferWriter<byte> output)
    {
        int length = _body.WrittenCount;
        // "Content-Length: " + at most 10 digits + "\r\n\r\n", and room for the body behind it: one piece of memory.
        Span<byte> header = output.GetSpan(32 + length);
        "Content-Length: "u8.CopyTo(header);
        Utf8Formatter.TryFormat(length, header[16..], out int digits);
        HeaderEnd.CopyTo(header[(16 + digits)..]);
        output.Advance(16 + digits + HeaderEnd.Length);
        output.Write(_body.WrittenSpan);
        if (_body.Capacity > RetainedBodyCapacity) _body = new ArrayBufferWriter<byte>(1024);
    }
}
