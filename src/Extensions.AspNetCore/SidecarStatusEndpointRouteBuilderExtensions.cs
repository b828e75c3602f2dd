using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SidecarKit.Extensions.AspNetCore;
using SidecarKit.Extensions.Hosting;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Serves the status of the application's sidecars.</summary>
public static class SidecarStatusEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>GET <paramref name="pattern"/></c> to a JSON snapshot of every sidecar registered with <c>AddSidecar</c>
    /// or <c>AddSidecarsFromConfiguration</c> (<see cref="SidecarStatusResponse"/>: name, state, pid, uptime, restarts,
    /// last exit code and error, calls in flight), written by <see cref="SidecarStatusJsonContext"/> (no reflection).
    /// </summary>
    /// <remarks>
    /// The answer names processes and their errors: protect it like any admin endpoint, for example
    /// <c>app.MapSidecarStatus().RequireAuthorization("admin")</c> or <c>.RequireHost("localhost")</c>.
    /// </remarks>
    /// <example>
    /// <code>
    /// builder.Services.AddSidecar&lt;IDemo&gt;("demo", ...);
    /// var app = builder.Build();
    /// app.MapSidecarStatus();            // GET /sidecars
    /// </code>
    /// </example>
    /// <returns>The endpoint's convention builder (authorization, host, metadata).</returns>
    public static IEndpointConventionBuilder MapSidecarStatus(this IEndpointRouteBuilder endpoints, string pattern = "/sidecars")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        return endpoints.MapGet(pattern, WriteStatusAsync).WithDisplayName("SidecarKit status");
    }

    private static Task WriteStatusAsync(HttpContext context)
    {
        SidecarRegistry? registry = context.RequestServices.GetService<SidecarRegistry>();
        SidecarStatusResponse status = SidecarStatusResponse.From(registry?.GetStatus() ?? []);
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsJsonAsync(status, SidecarStatusJsonContext.Default.SidecarStatusResponse, contentType: null, context.RequestAborted);
    }
}
