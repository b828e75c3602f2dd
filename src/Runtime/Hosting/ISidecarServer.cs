using Microsoft.Extensions.Logging;
using SidecarKit.Rpc;

namespace SidecarKit.Hosting;

/// <summary>A transport's own server (gRPC over HTTP/2), run by <see cref="SidecarHost"/> in place of RPC connections.</summary>
public interface ISidecarServer : IAsyncDisposable
{
    /// <summary>Where clients connect (<c>127.0.0.1:50051</c>, a socket path), announced in the ready payload.</summary>
    string ListenInfo { get; }

    /// <summary>The calls being served.</summary>
    int ActiveCallCount { get; }

    /// <summary>
    /// Sets what the server's own probes report (gRPC health): not serving until the host is ready, and again once
    /// it is shutting down.
    /// </summary>
    void SetServing(bool serving);

    /// <summary>
    /// Refuses new calls from now on (<c>system.*</c> excepted), without waiting for those running: called the moment a
    /// stop is decided, so that a call sent after a <c>system.shutdown</c> was answered never runs.
    /// </summary>
    void StopAccepting();

    /// <summary>Stops taking calls and waits for those running; <paramref name="cancellationToken"/> cuts the wait and cancels them.</summary>
    Task StopAsync(CancellationToken cancellationToken);
}

/// <summary>What a transport's server gets from the host.</summary>
public sealed class SidecarServerContext
{
    internal SidecarServerContext(SidecarHostOptions options, string? token, ILoggerFactory loggerFactory,
        IReadOnlyList<ContractDescriptor> contracts, Func<RpcChannel, RpcHandlerTable> createHandlers)
    {
        Options = options;
        Token = token;
        LoggerFactory = loggerFactory;
        Contracts = contracts;
        CreateHandlers = createHandlers;
    }

    /// <summary>The host's settings (<see cref="SidecarHostOptions.Listen"/> among them).</summary>
    public SidecarHostOptions Options { get; }

    /// <summary>The <c>SIDECAR_TOKEN</c> the parent set, which clients must present; <see langword="null"/> when none was set.</summary>
    public string? Token { get; }

    /// <summary>The sidecar's loggers.</summary>
    public ILoggerFactory LoggerFactory { get; }

    /// <summary>The contracts served.</summary>
    public IReadOnlyList<ContractDescriptor> Contracts { get; }

    /// <summary>
    /// Creates the handlers of every served method (the contracts and <c>system.*</c>). Implementations that call the
    /// parent back get clients on <c>callbacks</c>, the channel the transport offers for that.
    /// </summary>
    public Func<RpcChannel, RpcHandlerTable> CreateHandlers { get; }
}
