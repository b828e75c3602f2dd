using SidecarKit.Rpc;

namespace SidecarKit.Hosting;

/// <summary>
/// A transport a sidecar can serve, chosen by <c>--transport</c>: either a protocol on a carrier (JSON-RPC,
/// MessagePack-RPC), whose connections the host runs, or a server of its own (gRPC over HTTP/2). Transports live in
/// their own assemblies and add themselves with an extension method on <see cref="SidecarHostBuilder"/>
/// (<c>AddJsonLines()</c>, <c>AddGrpc()</c>).
/// </summary>
public sealed record SidecarTransport
{
    /// <summary>A protocol on a carrier.</summary>
    /// <param name="name">The name given to <c>--transport</c>.</param>
    /// <param name="description">One line for <c>--help</c>.</param>
    /// <param name="createProtocol">Creates the protocol for one connection.</param>
    public SidecarTransport(string name, string description, Func<RpcProtocol> createProtocol)
    {
        Name = name;
        Description = description;
        CreateProtocol = createProtocol;
    }

    /// <summary>A transport that runs its own server.</summary>
    /// <param name="name">The name given to <c>--transport</c>.</param>
    /// <param name="description">One line for <c>--help</c>.</param>
    /// <param name="startServer">Starts the server; it serves once the returned task completes.</param>
    public SidecarTransport(string name, string description, Func<SidecarServerContext, CancellationToken, Task<ISidecarServer>> startServer)
    {
        Name = name;
        Description = description;
        StartServer = startServer;
    }

    /// <summary>The name given to <c>--transport</c>.</summary>
    public string Name { get; }

    /// <summary>One line for <c>--help</c>.</summary>
    public string Description { get; }

    /// <summary>Creates the protocol for one connection; <see langword="null"/> for a transport with its own server.</summary>
    public Func<RpcProtocol>? CreateProtocol { get; }

    /// <summary>Starts the transport's own server; <see langword="null"/> for a protocol on a carrier.</summary>
    public Func<SidecarServerContext, CancellationToken, Task<ISidecarServer>>? StartServer { get; }

    /// <summary>
    /// Whether the transport serves TLS when <see cref="SidecarHostOptions.Tls"/> is configured (the gRPC transports);
    /// a sidecar started with <c>--tls-cert</c> on another transport refuses to start. Default false.
    /// </summary>
    public bool SupportsTls { get; init; }

    /// <summary>What carries the bytes of a protocol transport. Default <see cref="SidecarCarrier.Stdio"/>.</summary>
    public SidecarCarrier Carrier { get; init; } = SidecarCarrier.Stdio;
}
