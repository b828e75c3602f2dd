using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SidecarKit.Rpc;
using SidecarKit.Transports.Grpc.Protobuf;
using SidecarKit.Wire;

namespace SidecarKit.Transports.Grpc;

/// <summary>
/// Calls a sidecar's contracts over gRPC: <see cref="HttpClient"/> on one multiplexed HTTP/2 connection without TLS
/// (h2c), over loopback TCP or a Unix socket. Deadlines are sent as <c>grpc-timeout</c> and enforced here;
/// cancelling a call resets its stream; statuses become the same exceptions as on the other transports.
/// </summary>
/// <example>
/// <code>
/// await using var channel = GrpcSidecarChannel.Create("127.0.0.1:50051", new GrpcClientOptions { Token = token });
/// IDemo demo = channel.GetClient&lt;IDemo&gt;();
/// int sum = await demo.AddAsync(2, 3);
/// </code>
/// </example>
public sealed class GrpcSidecarChannel : RpcChannel, IAsyncDisposable, IDisposable
{
    private static readonly Version s_http2 = HttpVersion.Version20;

    private readonly HttpClient _http;
    private readonly Uri _base;
    private readonly GrpcClientOptions _options;
    private readonly string? _authorization;
    private readonly ILogger _logger;
    private readonly Dictionary<MethodDescriptor, Uri> _uris = new(ReferenceEqualityComparer.Instance);
    private readonly Lock _urisLock = new();
    private readonly CancellationTokenSource _disposed = new();
    private readonly Callbacks.CallbackSubscription? _subscription;
    private readonly GrpcSidecarChannel? _callbackConnection;
    private readonly Lock _notifyLock = new();
    private Task _notifications = Task.CompletedTask;

    private GrpcSidecarChannel(string listenInfo, GrpcClientOptions options, bool callbackConnection = false)
    {
        _http = CreateHttpClient(listenInfo, out _base);
        _options = options;
        _authorization = options.Token is null ? null : "Bearer " + options.Token;
        _logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("SidecarKit.Grpc.Client");
        if (!callbackConnection && options.Callbacks is { Contracts.Count: > 0 } callbacks)
        {
            // The callbacks get a connection of their own: a reply must never wait for a stream slot held by the very
            // calls that are waiting for it (the server allows MaxConcurrentStreams per connection).
            _callbackConnection = new GrpcSidecarChannel(listenInfo, options, callbackConnection: true);
            _subscription = new Callbacks.CallbackSubscription(_callbackConnection, callbacks, _logger, _disposed.Token);
        }
    }

    /// <summary>
    /// Completes when the channel can serve the sidecar's calls back: at once without <see cref="GrpcClientOptions.Callbacks"/>,
    /// else once the sidecar has taken the subscription.
    /// </summary>
    public Task ConnectAsync(CancellationToken cancellationToken = default)
        => _subscription is null ? Task.CompletedTask : _subscription.Subscribed.WaitAsync(cancellationToken);

    /// <summary>
    /// A channel to <paramref name="listenInfo"/>, as a sidecar announces it: <c>host:port</c> for loopback TCP, or the
    /// path of a Unix socket (anything with a <c>/</c>).
    /// </summary>
    public static GrpcSidecarChannel Create(string listenInfo, GrpcClientOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(listenInfo);
        return new GrpcSidecarChannel(listenInfo, options ?? new GrpcClientOptions());
    }

    private static HttpClient CreateHttpClient(string listenInfo, out Uri baseAddress)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = false,   // one connection, its streams multiplexed
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
        };
        if (listenInfo.Contains('/'))
        {
            string path = listenInfo;
            handler.ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
            baseAddress = new Uri("http://localhost");
        }
        else
        {
            baseAddress = new Uri("http://" + listenInfo);
        }
        return new HttpClient(handler)
        {
            DefaultRequestVersion = s_http2,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = Timeout.InfiniteTimeSpan,   // deadlines are per call
        };
    }

    /// <inheritdoc />
    public override async Task<TResult> InvokeAsync<TArgs, TResult, TCodec>(MethodDescriptor method, TArgs args, RpcCallOptions options, CancellationToken cancellationToken)
    {
        GrpcMethod grpc = GrpcMethod.For(method);
        TimeSpan timeout = options.Timeout, remaining = options.Remaining;
        using CancellationTokenSource deadline = cancellationToken.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken) : new();
        Arm(deadline, remaining);
        try
        {
            using HttpResponseMessage response = await SendAsync(method, args, remaining, deadline.Token).ConfigureAwait(false);
            (Stream? body, HttpHeaders status) = await StartAsync(response, deadline.Token).ConfigureAwait(false);
            GrpcMessage? message = body is null ? null
                : await GrpcMessageReader.ReadUnaryAsync(body, _options.MaxReceiveMessageSize, IsGzip(response), deadline.Token).ConfigureAwait(false);
            try
            {
                ThrowIfFailed(status, method);
                if (message is not { } m)
                    throw new GrpcStatusException(GrpcStatusCode.Internal, RpcErrorCodes.InternalError, $"The response of '{method.WireName}' has no message.");
                return grpc.ReadResponse<TResult, TCodec>(m.Span);
            }
            finally
            {
                message?.Dispose();
            }
        }
        catch (Exception e) when (Translate(e, method, timeout, cancellationToken, deadline) is { } translated)
        {
            throw translated;
        }
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<TItem> InvokeStreamAsync<TArgs, TItem, TCodec>(MethodDescriptor method, TArgs args, RpcCallOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        GrpcMethod grpc = GrpcMethod.For(method);
        TimeSpan timeout = options.Timeout, remaining = options.Remaining;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Arm(deadline, remaining);
        HttpResponseMessage response;
        PipeReader body;
        HttpHeaders status;
        try
        {
            response = await SendAsync(method, args, remaining, deadline.Token).ConfigureAwait(false);
            try
            {
                (body, status) = await StartReadingAsync(response, deadline.Token).ConfigureAwait(false);
            }
            catch
            {
                response.Dispose();   // resets the stream: it must not hold one of the connection's stream slots
                throw;
            }
        }
        catch (Exception e) when (Translate(e, method, timeout, cancellationToken, deadline) is { } translated)
        {
            throw translated;
        }
        using (response)
        {
            bool gzip = IsGzip(response);
            while (true)
            {
                TItem item;
                try
                {
                    GrpcMessage? message = await GrpcMessageReader.ReadAsync(body, _options.MaxReceiveMessageSize, gzip, deadline.Token).ConfigureAwait(false);
                    if (message is not { } m)
                    {
                        ThrowIfFailed(status, method);
                        yield break;
                    }
                    using (m) item = grpc.ReadResponse<TItem, TCodec>(m.Span);
                }
                catch (Exception e) when (Translate(e, method, timeout, cancellationToken, deadline) is { } translated)
                {
                    throw translated;
                }
                yield return item;
            }
        }
    }

    /// <inheritdoc />
    public override void Notify<TArgs>(MethodDescriptor method, TArgs args)
    {
        // One after the other: each is a unary call, answered once the sidecar ran it, so the next one is sent only
        // then and they run in the order sent, as on the other transports.
        lock (_notifyLock) _notifications = NotifyAfterAsync(_notifications, method, args);
    }

    private async Task NotifyAfterAsync<TArgs>(Task previous, MethodDescriptor method, TArgs args) where TArgs : struct, IWireArgs<TArgs>
    {
        await previous.ConfigureAwait(false);   // never faults: failures are logged below
        try
        {
            await InvokeAsync<TArgs, VoidResult, WireCodecs.Void>(method, args, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _logger.LogWarning("Notification '{Method}' failed: {Reason}", method.WireName, e.Message);
        }
    }

    // A deadline longer than a .NET timer can count (about 49.7 days) is sent, but not timed here.
    private static void Arm(CancellationTokenSource deadline, TimeSpan timeout)
    {
        if (timeout != Timeout.InfiniteTimeSpan && timeout <= GrpcProtocol.MaxTimer) deadline.CancelAfter(timeout);
    }

    /// <inheritdoc />
    public override TimeSpan DefaultCallTimeout => _options.DefaultCallTimeout;

    private Task<HttpResponseMessage> SendAsync<TArgs>(MethodDescriptor method, TArgs args, TimeSpan timeout, CancellationToken cancellationToken)
        where TArgs : struct, IWireArgs<TArgs>
        => SendAsync(UriOf(method), RequestContent.Create(args, _options.CompressRequests), timeout, cancellationToken);

    /// <summary>Sends one request message already encoded (the callback service's own messages).</summary>
    internal Task<HttpResponseMessage> SendAsync(string path, ReadOnlySpan<byte> message, TimeSpan timeout, CancellationToken cancellationToken)
        => SendAsync(new Uri(_base, path), RequestContent.Create(message), timeout, cancellationToken);

    /// <summary>A unary call of the callback service: sends the message, checks the status.</summary>
    internal async Task CallAsync(string path, ReadOnlyMemory<byte> message, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Arm(deadline, timeout);
        using HttpResponseMessage response = await SendAsync(path, message.Span, timeout, deadline.Token).ConfigureAwait(false);
        (PipeReader body, HttpHeaders status) = await StartReadingAsync(response, deadline.Token).ConfigureAwait(false);
        while (await GrpcMessageReader.ReadAsync(body, _options.MaxReceiveMessageSize, IsGzip(response), deadline.Token).ConfigureAwait(false) is { } m) m.Dispose();
        ThrowIfFailed(status, null);
    }

    /// <summary>Opens a server-streaming call of the callback service; the caller reads its messages.</summary>
    internal async Task<(HttpResponseMessage Response, PipeReader Body, HttpHeaders Status)> OpenStreamAsync(string path, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        HttpResponseMessage response = await SendAsync(path, message.Span, Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
        try
        {
            (PipeReader body, HttpHeaders status) = await StartReadingAsync(response, cancellationToken).ConfigureAwait(false);
            return (response, body, status);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    internal int MaxReceiveMessageSize => _options.MaxReceiveMessageSize;

    internal static void ThrowIfStatusFailed(HttpHeaders status) => ThrowIfFailed(status, null);

    private async Task<HttpResponseMessage> SendAsync(Uri uri, HttpContent content, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, uri)
        {
            Version = s_http2,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,   // SendAsync ignores the client's defaults
            Content = content,
        };
        HttpRequestHeaders headers = request.Headers;
        headers.TryAddWithoutValidation("te", "trailers");
        headers.TryAddWithoutValidation(GrpcProtocol.AcceptEncodingHeader, GrpcProtocol.SupportedEncodings);
        if (timeout != Timeout.InfiniteTimeSpan) headers.TryAddWithoutValidation(GrpcProtocol.TimeoutHeader, GrpcProtocol.FormatTimeout(timeout));
        if (_authorization is not null) headers.TryAddWithoutValidation("authorization", _authorization);
        HttpResponseMessage response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        request.Dispose();
        return response;
    }

    // For the streaming reads: the body through a pipe (a trailers-only response has none).
    private static async Task<(PipeReader Body, HttpHeaders Status)> StartReadingAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        (Stream? body, HttpHeaders status) = await StartAsync(response, cancellationToken).ConfigureAwait(false);
        return (body is null ? PipeReader.Create(Stream.Null) : PipeReader.Create(body, new StreamPipeReaderOptions(bufferSize: 4096, leaveOpen: false)), status);
    }

    private static void CheckHttpStatus(HttpResponseMessage response)
    {
        if (response.StatusCode == HttpStatusCode.OK) return;
        // The specification's mapping of HTTP statuses for responses that are not gRPC.
        GrpcStatusCode status = response.StatusCode switch
        {
            HttpStatusCode.BadRequest => GrpcStatusCode.Internal,
            HttpStatusCode.Unauthorized => GrpcStatusCode.Unauthenticated,
            HttpStatusCode.Forbidden => GrpcStatusCode.PermissionDenied,
            HttpStatusCode.NotFound => GrpcStatusCode.Unimplemented,
            HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout => GrpcStatusCode.Unavailable,
            _ => GrpcStatusCode.Unknown,
        };
        throw new GrpcStatusException(status, GrpcProtocol.CodeOf(status), $"The server answered HTTP {(int)response.StatusCode}, not gRPC.");
    }

    private static void CheckContentType(HttpResponseMessage response)
    {
        string? contentType = Header(response.Content.Headers, "Content-Type");
        if (!GrpcProtocol.IsGrpcContentType(contentType))
            throw new GrpcStatusException(GrpcStatusCode.Unknown, RpcErrorCodes.InternalError, $"The response's content type is '{contentType}', not application/grpc.");
    }

    // Checks the response's headers: an HTTP error or a trailers-only status fails the call here. Returns the body
    // (none for a trailers-only OK) and where the status will be: the trailers, or the headers of a trailers-only
    // response. The unary path reads the body straight from the stream, one message with no pipe in between.
    private static async Task<(Stream? Body, HttpHeaders Status)> StartAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        CheckHttpStatus(response);
        if (response.Headers.NonValidated.Contains(GrpcProtocol.StatusHeader))
        {
            ThrowIfFailed(response.Headers, null);
            return (null, response.Headers);
        }
        CheckContentType(response);
        return (await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), response.TrailingHeaders);
    }

    private static bool IsGzip(HttpResponseMessage response) => Header(response.Headers, GrpcProtocol.EncodingHeader) == "gzip";

    // Read without validation or parsing: the values are compared as they came.
    private static string? Header(HttpHeaders headers, string name)
        => headers.NonValidated.TryGetValues(name, out HeaderStringValues values) && values.Count > 0 ? values.ToString() : null;

    private static void ThrowIfFailed(HttpHeaders trailers, MethodDescriptor? method)
    {
        string? statusText = Header(trailers, GrpcProtocol.StatusHeader);
        if (statusText is null)
            throw new GrpcStatusException(GrpcStatusCode.Internal, RpcErrorCodes.InternalError,
                $"The response{(method is null ? "" : " of '" + method.WireName + "'")} ended without a grpc-status.");
        if (!int.TryParse(statusText, out int code) || code is < 0 or > 16)
            throw new GrpcStatusException(GrpcStatusCode.Unknown, RpcErrorCodes.InternalError, $"The grpc-status '{statusText}' is not a status code.");
        if (code == 0) return;
        var status = (GrpcStatusCode)code;
        string message = GrpcProtocol.DecodeMessage(Header(trailers, GrpcProtocol.MessageHeader));
        int errorCode = int.TryParse(Header(trailers, GrpcProtocol.ErrorCodeTrailer), out int parsed)
            ? parsed : GrpcProtocol.CodeOf(status);
        JsonElement? data = null;
        if (Header(trailers, GrpcProtocol.ErrorDataTrailer) is { } base64)
        {
            try
            {
                string padded = base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '=');
                using JsonDocument doc = JsonDocument.Parse(Convert.FromBase64String(padded));
                data = doc.RootElement.Clone();
            }
            catch (Exception e) when (e is FormatException or JsonException) { }
        }
        throw new GrpcStatusException(status, errorCode, message.Length == 0 ? status.ToString() : message, data) { Method = method?.WireName };
    }

    // Deadlines, cancellation, broken connections and framing errors as this toolkit's exceptions.
    private Exception? Translate(Exception e, MethodDescriptor method, TimeSpan timeout, CancellationToken caller, CancellationTokenSource deadline)
    {
        switch (e)
        {
            case OperationCanceledException or ObjectDisposedException when _disposed.IsCancellationRequested && !caller.IsCancellationRequested:
                return new GrpcStatusException(GrpcStatusCode.Unavailable, RpcErrorCodes.ShuttingDown,
                    $"The call to '{method.WireName}' was cut: the channel was disposed.", null, e) { Method = method.WireName };
            case GrpcStatusException { Status: GrpcStatusCode.DeadlineExceeded }:
                return new SidecarTimeoutException(method.WireName, timeout);
            case GrpcStatusException s when s.Method is null:
                return new GrpcStatusException(s.Status, s.Code, s.Message, s.ErrorData) { Method = method.WireName };
            case SidecarException:
                return null;
            case OperationCanceledException when caller.IsCancellationRequested:
                return new OperationCanceledException(caller);
            case OperationCanceledException when deadline.IsCancellationRequested:
                return new SidecarTimeoutException(method.WireName, timeout);
            case GrpcFramingException f:
                return new GrpcStatusException(f.Status, GrpcProtocol.CodeOf(f.Status), f.Message) { Method = method.WireName };
            case WireFormatException w:
                return new SidecarProtocolException($"The result of '{method.WireName}' could not be read: {w.Message}", w);
            case HttpRequestException or IOException:
                return new GrpcStatusException(GrpcStatusCode.Unavailable, RpcErrorCodes.ShuttingDown,
                    $"The call to '{method.WireName}' failed: the sidecar cannot be reached or closed the connection ({e.Message}).", null, e) { Method = method.WireName };
            default:
                return null;
        }
    }

    private Uri UriOf(MethodDescriptor method)
    {
        lock (_urisLock)
        {
            if (!_uris.TryGetValue(method, out Uri? uri))
                _uris[method] = uri = new Uri(_base, GrpcMethod.For(method).Path);
            return uri;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _disposed.Cancel();
        _callbackConnection?.Dispose();
        _http.Dispose();
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Dispose();
        return default;
    }

    /// <summary>The request message, framed; written from a pooled buffer.</summary>
    private sealed class RequestContent : HttpContent
    {
        [ThreadStatic] private static ProtobufEncoder? t_encoder;
        private readonly byte[] _bytes;
        private readonly int _length;

        private RequestContent(byte[] bytes, int length)
        {
            _bytes = bytes;
            _length = length;
            Headers.TryAddWithoutValidation("Content-Type", GrpcProtocol.ContentType);
        }

        public static RequestContent Create<TArgs>(TArgs args, bool gzip) where TArgs : struct, IWireArgs<TArgs>
        {
            ProtobufEncoder encoder = t_encoder ??= new ProtobufEncoder(reserve: 5);
            encoder.Reset();
            encoder.WriteArgs(in args);
            byte[] bytes;
            int length;
            if (gzip)
            {
                var compressed = new MemoryStream();
                GrpcCompression.WriteCompressed(encoder.Buffer.AsSpan(5, encoder.MessageLength), compressed);
                bytes = compressed.GetBuffer();
                length = (int)compressed.Length;
            }
            else
            {
                length = encoder.Length;
                bytes = encoder.Buffer.AsSpan(0, length).ToArray();
                BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(1), (uint)(length - 5));
            }
            var content = new RequestContent(bytes, length);
            if (gzip) content.Headers.TryAddWithoutValidation(GrpcProtocol.EncodingHeader, "gzip");
            return content;
        }

        public static RequestContent Create(ReadOnlySpan<byte> message)
        {
            byte[] bytes = new byte[5 + message.Length];
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(1), (uint)message.Length);
            message.CopyTo(bytes.AsSpan(5));
            return new RequestContent(bytes, bytes.Length);
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(_bytes, 0, _length);

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
            => stream.WriteAsync(_bytes.AsMemory(0, _length), cancellationToken).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = _length;
            return true;
        }
    }
}
