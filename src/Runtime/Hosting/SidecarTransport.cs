using SidecarKit.Rpc;

namespace SidecarKit.Hosting;

/// <summary>
/// A transport a sidecar can serve, chosen by <c>--transport</c>: a protocol on a carrier. Transports live in their own
/// assemblies and add themselves with an extension method on <see cref="SidecarHostBuilder"/> (<c>AddJsonLines()</c>).
/// </summary>
/// <param name="Name">The name given to <c>--transport</c>.</param>
/// <param name="Description">One line for <c>--help</c>.</param>
/// <param name="CreateProtocol">Creates the protocol for one connection.</param>
public sealed record SidecarTransport(string Name, string Description, Func<RpcProtocol> CreateProtocol)
{
    /// <summary>What carries the bytes. Default <see cref="SidecarCarrier.Stdio"/>.</summary>
    public SidecarCarrier Carrier { get; init; } = SidecarCarrier.Stdio;
}
