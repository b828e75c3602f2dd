using System.Net;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Balancer;
using Grpc.Net.Client.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SidecarKit.Transports.Grpc.Proto;

namespace SidecarKit.Transports.Grpc;

/// <summary>
/// Many identical sidecars behind one channel (docs/deployment.md): the generated proxy over a <see cref="GrpcChannel"/>
/// with grpc-dotnet's client-side load balancing. Calls go round robin to the sidecars whose connection is up (one that
/// goes down is skipped until it is back); a call of a method marked <c>Idempotent = true</c> that fails with
/// <c>UNAVAILABLE</c> is tried again on another sidecar (a grpc-dotnet retry policy made from the contracts'
/// descriptors), any other call fails typed (<see cref="GrpcStatusException"/>).
/// </summary>
public static class GrpcSidecarPool
{
    /// <summary>The name the static resolver answers; it names nothing outside this channel.</summary>
    private const string StaticTarget = "static:///sidecars";

    /// <summary>
    /// A channel to the sidecars at <paramref name="addresses"/> (<c>host:port</c> each, as the sidecars announce them).
    /// </summary>
    /// <param name="addresses">The sidecars' addresses.</param>
    /// <param name="contracts">The contracts called through the channel: their idempotent methods get the retry policy.</param>
    /// <param name="options">Token, TLS, limits, interceptors, as for one sidecar; callbacks are not served over a pool.</param>
    public static GrpcSidecarChannel Create(IReadOnlyList<string> addresses, IEnumerable<ContractDescriptor> contracts, GrpcClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        if (addresses.Count == 0) throw new ArgumentException("A pool needs at least one address.", nameof(addresses));
        BalancerAddress[] endpoints = [.. addresses.Select(Endpoint)];
        return Create(StaticTarget, contracts, options, services => services.AddSingleton<ResolverFactory>(new StaticResolverFactory(_ => endpoints)));
    }

    /// <summary>
    /// A channel to the sidecars a name resolves to: <c>dns:///sidecars.default.svc:50051</c> (a Kubernetes headless service,
    /// re-resolved as grpc-dotnet's DNS resolver does), or any target a registered resolver understands.
    /// </summary>
    /// <param name="target">The target, with its resolver's scheme.</param>
    /// <param name="contracts">The contracts called through the channel: their idempotent methods get the retry policy.</param>
    /// <param name="options">Token, TLS, limits, interceptors, as for one sidecar; callbacks are not served over a pool.</param>
    public static GrpcSidecarChannel Create(string target, IEnumerable<ContractDescriptor> contracts, GrpcClientOptions? options = null)
        => Create(target, contracts, options, null);

    private static GrpcSidecarChannel Create(string target, IEnumerable<ContractDescriptor> contracts, GrpcClientOptions? options,
        Action<IServiceCollection>? resolver)
    {
        ArgumentException.ThrowIfNullOrEmpty(target);
        ArgumentNullException.ThrowIfNull(contracts);
        options ??= new GrpcClientOptions();
        if (options.Callbacks is { Contracts.Count: > 0 })
            throw new NotSupportedException("A pool of sidecars cannot serve callbacks: each sidecar calls back the parent that subscribed to it. Connect to each sidecar with GrpcSidecarChannel.Create instead.");
        var services = new ServiceCollection();
        resolver?.Invoke(services);
        var config = new ServiceConfig { LoadBalancingConfigs = { new RoundRobinConfig() } };
        if (RetryConfig(contracts) is { } retry) config.MethodConfigs.Add(retry);
        var channelOptions = new GrpcChannelOptions
        {
            HttpHandler = SidecarHttpHandler.CreateForCalls("pool", options.Tls),
            DisposeHttpClient = true,
            Credentials = options.Tls.IsEnabled ? ChannelCredentials.SecureSsl : ChannelCredentials.Insecure,
            ServiceProvider = services.BuildServiceProvider(),
            ServiceConfig = config,
            MaxReceiveMessageSize = options.MaxReceiveMessageSize,
            LoggerFactory = options.LoggerFactory,
            CompressionProviders = [new VerifiedGzipCompressionProvider()],
        };
        options.ConfigureChannel?.Invoke(channelOptions);
        return GrpcSidecarChannel.Create(GrpcChannel.ForAddress(target, channelOptions), options);
    }

    // Calling an idempotent method twice does what calling it once does: a call that found its sidecar gone (UNAVAILABLE)
    // is tried on another, up to three times in all, within the call's deadline.
    private static MethodConfig? RetryConfig(IEnumerable<ContractDescriptor> contracts)
    {
        var config = new MethodConfig
        {
            RetryPolicy = new RetryPolicy
            {
                MaxAttempts = 3,
                InitialBackoff = TimeSpan.FromMilliseconds(50),
                MaxBackoff = TimeSpan.FromSeconds(1),
                BackoffMultiplier = 2,
                RetryableStatusCodes = { StatusCode.Unavailable },
            },
        };
        foreach (ContractDescriptor contract in contracts)
            foreach (MethodDescriptor method in contract.Methods)
                if (method.Idempotent && method.Kind is MethodKind.Unary or MethodKind.UnaryVoid)
                    config.Names.Add(new MethodName
                    {
                        Service = ProtoExporter.QualifiedServiceName(contract.Name),
                        Method = ProtoExporter.RpcName(contract.Name, method.WireName),
                    });
        return config.Names.Count == 0 ? null : config;
    }

    private static BalancerAddress Endpoint(string address)
    {
        int colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address.AsSpan(colon + 1), out int port))
            throw new ArgumentException($"'{address}' is not host:port.", nameof(address));
        string host = address[..colon].Trim('[', ']');
        return new BalancerAddress(host == "0.0.0.0" ? "127.0.0.1" : host == "::" ? "::1" : host, port);
    }
}
