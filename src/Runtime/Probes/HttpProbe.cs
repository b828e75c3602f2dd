using System.Net;
using System.Net.Http.Headers;

namespace SidecarKit.Probes;

/// <summary><see cref="SidecarProbe.Http(Uri)"/>: an HTTP GET that answers 2xx.</summary>
internal sealed class HttpProbe : SidecarProbe
{
    // One client for every HTTP probe: no proxy (a sidecar is local; a proxy from the environment would only be in the
    // way), no cookies, no timeout of its own (the caller's token is the attempt's timeout). Each request asks for its
    // connection to be closed, so a check is a fresh connect, as Kubernetes' are, and no pooled connection outlives
    // the sidecar it was made to.
    private static readonly HttpClient s_client = new(new SocketsHttpHandler
    {
        UseProxy = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(1),
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    private static readonly ProductInfoHeaderValue s_userAgent = new("SidecarKit-probe", "1");

    private readonly Uri _url;

    public HttpProbe(Uri url, string parameterName)
    {
        if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException($"'{url}' is not an absolute http or https URL.", parameterName);
        _url = url;
        Description = $"HTTP GET {url} answers 2xx";
    }

    public override string Description { get; }

    public override async ValueTask<SidecarProbeResult> CheckAsync(SidecarProbeContext context, CancellationToken cancellationToken)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, _url);
            request.Headers.ConnectionClose = true;
            request.Headers.UserAgent.Add(s_userAgent);
            using HttpResponseMessage response = await s_client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            int status = (int)response.StatusCode;
            return status is >= 200 and <= 299 ? SidecarProbeResult.Pass : SidecarProbeResult.Fail($"HTTP {status}");
        }
        catch (Exception e) when (IsFailure(e, cancellationToken))
        {
            return SidecarProbeResult.Fail(e.Message);
        }
    }
}
