using System.Globalization;
using System.Text;
using SidecarKit.Rpc;

namespace SidecarKit.Transports.Grpc;

/// <summary>The parts of the gRPC-over-HTTP/2 specification the server needs, and the error-code mapping both sides use.</summary>
internal static class GrpcProtocol
{
    public const string ContentType = "application/grpc";
    public const string StatusHeader = "grpc-status";
    public const string MessageHeader = "grpc-message";
    public const string TimeoutHeader = "grpc-timeout";
    public const string EncodingHeader = "grpc-encoding";
    public const string AcceptEncodingHeader = "grpc-accept-encoding";
    public const string SupportedEncodings = "identity,gzip";

    /// <summary>The application error's code, in the trailers of a failed call (a decimal integer).</summary>
    public const string ErrorCodeTrailer = "sidecar-error-code";

    /// <summary>The application error's data, as UTF-8 JSON, in the trailers of a failed call (binary metadata: base64 on the wire).</summary>
    public const string ErrorDataTrailer = "sidecar-error-data-bin";

    /// <summary>The default limit of a received message (the same as every gRPC implementation's).</summary>
    public const int DefaultMaxReceiveMessageSize = 4 * 1024 * 1024;

    /// <summary>The longest delay a .NET timer takes (about 49.7 days); a longer deadline is no deadline here.</summary>
    public static readonly TimeSpan MaxTimer = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    /// <summary>
    /// The refusal of a call with an <see cref="IProgress{T}"/> argument: a gRPC unary call has one response and no
    /// messages before it, so the reports could not reach the caller; the call fails before it is sent rather than
    /// losing them in silence.
    /// </summary>
    public static NotSupportedException NoProgress(MethodDescriptor method)
        => new($"'{method.WireName}' reports progress (an IProgress<T> argument), which gRPC cannot carry: a unary gRPC call has no messages before its response. Call it over the jsonl or msgpack transport, or pass null for the progress.");

    public static bool IsGrpcContentType(string? contentType)
        => contentType is not null && contentType.StartsWith(ContentType, StringComparison.OrdinalIgnoreCase)
           && (contentType.Length == ContentType.Length || contentType[ContentType.Length] is '+' or ';');

    /// <summary>
    /// <c>grpc-message</c> is percent-encoded UTF-8: bytes outside 0x20–0x7E, and '%' itself, become %XX.
    /// </summary>
    public static string EncodeMessage(string message)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(message);
        bool plain = true;
        foreach (byte b in utf8)
            if (b is < 0x20 or > 0x7E or (byte)'%') { plain = false; break; }
        if (plain) return message;
        var sb = new StringBuilder(utf8.Length + 16);
        foreach (byte b in utf8)
        {
            if (b is < 0x20 or > 0x7E or (byte)'%') sb.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            else sb.Append((char)b);
        }
        return sb.ToString();
    }

    /// <summary>Decodes <c>grpc-message</c>; malformed escapes are kept as they are, as the specification asks.</summary>
    public static string DecodeMessage(string? value)
    {
        if (string.IsNullOrEmpty(value) || !value.Contains('%')) return value ?? "";
        var bytes = new List<byte>(value.Length);
        for (int i = 0; i < value.Length; i++)
        {
            if (value[i] == '%' && i + 2 < value.Length && char.IsAsciiHexDigit(value[i + 1]) && char.IsAsciiHexDigit(value[i + 2])
                && byte.TryParse(value.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte b))
            {
                bytes.Add(b);
                i += 2;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(value[i].ToString()));
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>The status a JSON-RPC-style error code travels as (docs/grpc.md has the table).</summary>
    public static GrpcStatusCode StatusOf(int code) => code switch
    {
        RpcErrorCodes.InvalidParams or RpcErrorCodes.NestingTooDeep => GrpcStatusCode.InvalidArgument,
        RpcErrorCodes.MethodNotFound => GrpcStatusCode.Unimplemented,
        RpcErrorCodes.ParseError or RpcErrorCodes.InvalidRequest or RpcErrorCodes.InternalError => GrpcStatusCode.Internal,
        RpcErrorCodes.MessageTooLarge or RpcErrorCodes.ServerBusy => GrpcStatusCode.ResourceExhausted,
        RpcErrorCodes.ShuttingDown => GrpcStatusCode.Unavailable,
        RpcErrorCodes.RequestCancelled => GrpcStatusCode.Cancelled,
        _ => GrpcStatusCode.Unknown,   // an application's own code
    };

    /// <summary>The error code of a status received without a <c>sidecar-error-code</c> trailer (from another gRPC implementation).</summary>
    public static int CodeOf(GrpcStatusCode status) => status switch
    {
        GrpcStatusCode.InvalidArgument => RpcErrorCodes.InvalidParams,
        GrpcStatusCode.Unimplemented => RpcErrorCodes.MethodNotFound,
        GrpcStatusCode.ResourceExhausted => RpcErrorCodes.MessageTooLarge,
        GrpcStatusCode.Unavailable => RpcErrorCodes.ShuttingDown,
        GrpcStatusCode.Cancelled => RpcErrorCodes.RequestCancelled,
        _ => RpcErrorCodes.InternalError,
    };
}
