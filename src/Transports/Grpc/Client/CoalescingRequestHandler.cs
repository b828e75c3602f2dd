using System.Net;

namespace SidecarKit.Transports.Grpc;

/// <summary>
/// In front of the HTTP handler of the channels SidecarKit makes: the request body of a call that streams its input
/// (client-streaming and bidirectional methods of a contract) goes through a <see cref="CoalescingWriteStream"/>, so
/// that items written one after another share DATA frames instead of each waiting for a flush of its own. Every other
/// request passes untouched (a unary call writes one message and ends: nothing to coalesce).
/// </summary>
internal sealed class CoalescingRequestHandler : DelegatingHandler
{
    /// <summary>One for an <c>IHttpClientFactory</c> pipeline, which sets its inner handler.</summary>
    public CoalescingRequestHandler()
    {
    }

    public CoalescingRequestHandler(HttpMessageHandler inner) : base(inner)
    {
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Content is { } content && request.RequestUri is { } uri && Marshalling.GrpcMarshallers.StreamsInput(uri.AbsolutePath))
            request.Content = new CoalescingContent(content);
        return base.SendAsync(request, cancellationToken);
    }

    private sealed class CoalescingContent : HttpContent
    {
        private readonly HttpContent _content;

        public CoalescingContent(HttpContent content)
        {
            _content = content;
            foreach (KeyValuePair<string, IEnumerable<string>> header in content.Headers)
                Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context)
            => SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            var coalescing = new CoalescingWriteStream(stream);
            try
            {
                await _content.CopyToAsync(coalescing, context, cancellationToken).ConfigureAwait(false);
                // The request ends (END_STREAM) when this returns: what is still buffered goes first. grpc-dotnet's
                // CompleteAsync returns before that (it only ends the content); the call's response, which every
                // SidecarKit call waits for, comes after it.
                await coalescing.DrainAsync().ConfigureAwait(false);
            }
            catch
            {
                // The call failed or was reset: nothing more goes out, and nothing touches the HTTP/2 stream once the
                // body is over (a drain still running is waited for).
                await coalescing.AbandonAsync().ConfigureAwait(false);
                throw;
            }
            finally
            {
                coalescing.Dispose();
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _content.Dispose();
            base.Dispose(disposing);
        }
    }
}
