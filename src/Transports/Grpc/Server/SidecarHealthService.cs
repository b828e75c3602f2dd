using Grpc.Core;
using Grpc.Health.V1;
using Grpc.HealthCheck;

namespace SidecarKit.Transports.Grpc.Server;

/// <summary>
/// <c>grpc.health.v1.Health</c> from the grpc packages (<see cref="HealthServiceImpl"/>), tied to the sidecar's
/// state: <c>NOT_SERVING</c> until it is ready and again from the start of its shutdown, for the server as a whole
/// (<c>""</c>) and for each service. At shutdown a <c>Watch</c> sends <c>NOT_SERVING</c> and then ends with
/// <c>UNAVAILABLE</c> (a status, not a reset), so watchers learn why.
/// </summary>
internal sealed class SidecarHealthService : HealthServiceImpl
{
    private readonly string[] _services;
    private readonly CancellationToken _stopping;

    public SidecarHealthService(IEnumerable<string> services, CancellationToken stopping)
    {
        _services = ["", .. services];
        _stopping = stopping;
        SetServing(false);
    }

    public void SetServing(bool serving)
    {
        var status = serving ? HealthCheckResponse.Types.ServingStatus.Serving : HealthCheckResponse.Types.ServingStatus.NotServing;
        foreach (string service in _services) SetStatus(service, status);
    }

    public override async Task Watch(HealthCheckRequest request, IServerStreamWriter<HealthCheckResponse> responseStream, ServerCallContext context)
    {
        // The base ends a watch when its call's token is cancelled, after sending what was queued (NOT_SERVING).
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, _stopping);
        await base.Watch(request, responseStream, new CancellableCallContext(context, watching.Token)).ConfigureAwait(false);
        if (_stopping.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
            throw GrpcErrors.Status(GrpcStatusCode.Unavailable, "The sidecar is shutting down.");
    }
}
