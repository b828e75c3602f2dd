using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using SidecarKit.Rpc;

namespace SidecarKit.Transports.Grpc.Server;

/// <summary>
/// The sidecar's middleware in front of grpc-dotnet's routing, for gRPC requests: the token (<c>authorization: Bearer
/// &lt;SIDECAR_TOKEN&gt;</c>, constant time; health exempt), paths not served, request encodings other than identity and gzip (exactly: ASP.NET Core routes ignore
/// case, gRPC paths do not), readiness, and then the rules every transport admits calls by (<see cref="InboundAdmission"/>:
/// the concurrency limit, the drain, the <c>system.*</c> exemption), each answered trailers-only before anything is
/// routed. The admission also counts the calls a shutdown waits for.
/// </summary>
internal sealed class SidecarCallGate
{
    /// <summary>What a path is, for the rules above.</summary>
    public enum Route
    {
        /// <summary>A contract method: waits for ready, admitted by the common rules (limit, drain), counted.</summary>
        Contract,
        /// <summary><c>system.*</c>: answers before ready, beyond the limit and while draining, as on the other transports; counted.</summary>
        System,
        /// <summary>Health: no token needed; <c>Check</c> answers always.</summary>
        HealthCheck,
        /// <summary>A stream open as long as its client likes (health watch, reflection, the callback subscription): refused while draining, not counted.</summary>
        LongLived,
        /// <summary>A health watch: no token needed, otherwise <see cref="LongLived"/>.</summary>
        HealthWatch,
        /// <summary>Anything else served (the parent's callback replies, which a draining call may wait for): exempt like <see cref="System"/>; counted.</summary>
        Other,
    }

    private readonly Dictionary<string, Route> _routes;
    private readonly byte[]? _expectedAuthorization;
    private readonly InboundAdmission _admission;
    private volatile bool _ready;

    public SidecarCallGate(Dictionary<string, Route> routes, string? token, int maxConcurrentCalls)
    {
        _routes = routes;
        _admission = new InboundAdmission(maxConcurrentCalls);
        if (token is not null) _expectedAuthorization = Encoding.UTF8.GetBytes("Bearer " + token);
    }

    /// <summary>The counted calls running.</summary>
    public int ActiveCallCount => _admission.Count;

    /// <summary>Lets contract calls in (the startup tasks are done).</summary>
    public void SetReady() => _ready = true;

    /// <summary>Refuses new calls from now on (except the exempt ones), without waiting.</summary>
    public void StopAccepting() => _admission.StopAccepting();

    /// <summary>Refuses new calls and completes once no counted call runs, or <paramref name="cancellationToken"/> fires.</summary>
    public Task DrainAsync(CancellationToken cancellationToken) => _admission.DrainAsync(cancellationToken);

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        // Not gRPC at all: grpc-dotnet answers it (HTTP 415 on a gRPC path), as the specification says.
        if (!GrpcProtocol.IsGrpcContentType(context.Request.ContentType))
        {
            await next(context).ConfigureAwait(false);
            return;
        }
        string path = context.Request.Path.Value ?? "";
        bool known = _routes.TryGetValue(path, out Route route);
        if (route is not (Route.HealthCheck or Route.HealthWatch) && _expectedAuthorization is not null && !Authorized(context.Request))
        {
            Refuse(context, GrpcStatusCode.Unauthenticated, "This sidecar requires 'authorization: Bearer <SIDECAR_TOKEN>'; the call has none or another token.");
            return;
        }
        if (!known)
        {
            Refuse(context, GrpcStatusCode.Unimplemented, $"Method not found: {path} is not served by this sidecar.");
            return;
        }
        // grpc-dotnet checks the encoding only of a message flagged compressed; a call in an encoding it lacks is refused whole.
        string? encoding = context.Request.Headers[GrpcProtocol.EncodingHeader];
        if (encoding is not (null or "identity" or "gzip"))
        {
            context.Response.Headers[GrpcProtocol.AcceptEncodingHeader] = GrpcProtocol.SupportedEncodings;
            Refuse(context, GrpcStatusCode.Unimplemented, $"Unsupported grpc-encoding '{encoding}': this server takes identity and gzip.");
            return;
        }
        if (route is Route.LongLived or Route.HealthWatch)
        {
            // Not counted (they last as long as their client likes), but not opened once the drain began either.
            if (!_admission.IsAccepting)
            {
                Refuse(context, GrpcStatusCode.Unavailable, ShuttingDownMessage, RpcErrorCodes.ShuttingDown);
                return;
            }
            await next(context).ConfigureAwait(false);
            return;
        }
        // The server listens while the startup tasks run (so that health can say NOT_SERVING); calls wait for ready.
        if (!_ready && route == Route.Contract && _admission.IsAccepting)
        {
            Refuse(context, GrpcStatusCode.Unavailable, "The sidecar is still starting (its startup tasks are running): wait for grpc.health.v1 SERVING.");
            return;
        }
        bool exempt = route != Route.Contract;
        switch (_admission.TryEnter(exempt))
        {
            case InboundAdmission.Decision.Draining:
                Refuse(context, GrpcStatusCode.Unavailable, ShuttingDownMessage, RpcErrorCodes.ShuttingDown);
                return;
            case InboundAdmission.Decision.Busy:
                Refuse(context, GrpcStatusCode.ResourceExhausted, $"Too many concurrent requests (limit {_admission.MaxConcurrent}).", RpcErrorCodes.ServerBusy);
                return;
        }
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            _admission.Exit(exempt);
        }
    }

    private const string ShuttingDownMessage = "The sidecar is shutting down and accepts no new requests.";

    private bool Authorized(HttpRequest request)
    {
        string? value = request.Headers.Authorization;
        if (value is null) return false;
        Span<byte> given = stackalloc byte[Math.Min(Encoding.UTF8.GetMaxByteCount(value.Length), 512)];
        if (!Encoding.UTF8.TryGetBytes(value, given, out int written)) return false;
        return CryptographicOperations.FixedTimeEquals(given[..written], _expectedAuthorization);
    }

    // A trailers-only response: the status in the headers, no message.
    private static void Refuse(HttpContext context, GrpcStatusCode status, string message, int? code = null)
    {
        HttpResponse response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = GrpcProtocol.ContentType;
        response.Headers[GrpcProtocol.StatusHeader] = ((int)status).ToString(CultureInfo.InvariantCulture);
        response.Headers[GrpcProtocol.MessageHeader] = GrpcProtocol.EncodeMessage(message);
        if (code is { } c) response.Headers[GrpcProtocol.ErrorCodeTrailer] = c.ToString(CultureInfo.InvariantCulture);
    }
}
