using Microsoft.Extensions.Diagnostics.HealthChecks;
using SidecarKit.Supervision;

namespace SidecarKit.Extensions.Hosting;

/// <summary>
/// A sidecar's health for <c>Microsoft.Extensions.Diagnostics.HealthChecks</c>: <c>Ready</c> is healthy; <c>Starting</c>
/// and <c>Restarting</c> are degraded; <c>Unhealthy</c>, <c>Failed</c>, <c>Stopping</c> and <c>Stopped</c> are unhealthy.
/// The data carries the state, pid, restart count and last error.
/// </summary>
public sealed class SidecarHealthCheck(SidecarSupervisor supervisor) : IHealthCheck
{
    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        SidecarStatus status = supervisor.Status;
        var data = new Dictionary<string, object>
        {
            ["state"] = status.State.ToString(),
            ["restarts"] = status.RestartCount,
        };
        if (status.Pid is int pid) data["pid"] = pid;
        if (status.LastError is { } error) data["lastError"] = error;
        string description = $"sidecar '{status.Name}' is {status.State}";
        return Task.FromResult(status.State switch
        {
            SidecarState.Ready => HealthCheckResult.Healthy(description, data),
            SidecarState.Starting or SidecarState.Restarting => HealthCheckResult.Degraded(description, null, data),
            _ => HealthCheckResult.Unhealthy(description + (status.LastError is null ? "" : ": " + status.LastError), null, data),
        });
    }
}
