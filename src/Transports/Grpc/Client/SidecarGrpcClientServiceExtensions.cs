using System.Diagnostics.CodeAnalysis;
using Grpc.Net.ClientFactory;
using Microsoft.Extensions.DependencyInjection;

namespace SidecarKit.Transports.Grpc;

/// <summary>
/// Registers generated contract proxies with <c>Grpc.Net.ClientFactory</c>: the contract interface resolves from the
/// service provider as a typed gRPC client, so the factory's interceptors (<c>AddInterceptor</c>), call options,
/// channel options (a retry policy) and HTTP handler configuration apply to it.
/// </summary>
public static class SidecarGrpcClientServiceExtensions
{
    /// <summary>
    /// Registers <typeparamref name="TContract"/> as a gRPC client configured by <paramref name="configureClient"/>
    /// (its <c>Address</c> at least); its <c>Creator</c> is set to make the generated proxy.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configureClient">The factory's options of this client.</param>
    /// <param name="configureSidecar">The bearer token, the default deadline, request compression; no callbacks.</param>
    /// <returns>The builder, to add interceptors or configure the channel and its handler.</returns>
    /// <example>
    /// <code>
    /// services.AddSidecarGrpcClient&lt;IDemo&gt;(o => o.Address = new Uri("http://127.0.0.1:50051"), s => s.Token = token)
    ///         .AddInterceptor&lt;LoggingInterceptor&gt;();
    /// IDemo demo = provider.GetRequiredService&lt;IDemo&gt;();
    /// </code>
    /// </example>
    public static IHttpClientBuilder AddSidecarGrpcClient<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TContract>(
        this IServiceCollection services, Action<GrpcClientFactoryOptions> configureClient, Action<GrpcClientOptions>? configureSidecar = null)
        where TContract : class, ISidecarContract<TContract>
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configureClient);
        GrpcClientOptions options = Configure(configureSidecar);
        return services.AddGrpcClient<TContract>(o =>
        {
            configureClient(o);
            o.Creator = invoker => GrpcSidecarChannel.Create(invoker, options).GetClient<TContract>();
        });
    }

    /// <summary>
    /// Registers <typeparamref name="TContract"/> as a gRPC client of the sidecar at <paramref name="listenInfo"/>, as it
    /// announces it (<c>host:port</c>, or a Unix socket's path): the primary handler reaches it over h2c, or over TLS
    /// with <see cref="GrpcClientOptions.Tls"/> (the server certificate checked, a client certificate presented), and
    /// <see cref="GrpcClientOptions.MaxReceiveMessageSize"/>, <see cref="GrpcClientOptions.Interceptors"/> and
    /// <see cref="GrpcClientOptions.ConfigureChannel"/> apply as on <see cref="GrpcSidecarChannel.Create(string, GrpcClientOptions?)"/>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="listenInfo">The sidecar's address.</param>
    /// <param name="configureSidecar">The bearer token, TLS, the default deadline, compression, interceptors; no callbacks.</param>
    /// <returns>The builder, to add interceptors or configure the channel further.</returns>
    public static IHttpClientBuilder AddSidecarGrpcClient<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TContract>(
        this IServiceCollection services, string listenInfo, Action<GrpcClientOptions>? configureSidecar = null)
        where TContract : class, ISidecarContract<TContract>
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(listenInfo);
        GrpcClientOptions options = Configure(configureSidecar);
        IHttpClientBuilder builder = services.AddGrpcClient<TContract>(o =>
        {
            o.Address = new Uri(SidecarHttpHandler.AddressOf(listenInfo, options.Tls));
            foreach (global::Grpc.Core.Interceptors.Interceptor interceptor in options.Interceptors)
                o.InterceptorRegistrations.Add(new InterceptorRegistration(InterceptorScope.Channel, _ => interceptor));
            o.ChannelOptionsActions.Add(channel =>
            {
                channel.MaxReceiveMessageSize = options.MaxReceiveMessageSize;
                options.ConfigureChannel?.Invoke(channel);
            });
            o.Creator = invoker => GrpcSidecarChannel.Create(invoker, options).GetClient<TContract>();
        });
        return builder.ConfigurePrimaryHttpMessageHandler(() => SidecarHttpHandler.Create(listenInfo, options.Tls))
            .AddHttpMessageHandler(() => new CoalescingRequestHandler());
    }

    private static GrpcClientOptions Configure(Action<GrpcClientOptions>? configure)
    {
        var options = new GrpcClientOptions();
        configure?.Invoke(options);
        GrpcCallInvokerExtensions.ThrowIfCallbacks(options, nameof(configure));
        return options;
    }
}
