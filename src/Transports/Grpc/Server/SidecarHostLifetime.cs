using Microsoft.Extensions.Hosting;

namespace SidecarKit.Transports.Grpc.Server;

/// <summary>
/// The web host's lifetime inside a sidecar: none of its own. <c>SidecarHost</c> handles SIGTERM, stdin's end and
/// <c>system.shutdown</c> and stops the server after its drain; the default console lifetime would stop Kestrel on
/// SIGTERM behind the drain's back (and print its banner).
/// </summary>
internal sealed class SidecarHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
