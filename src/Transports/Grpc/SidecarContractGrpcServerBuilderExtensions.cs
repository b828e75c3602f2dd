using Grpc.AspNetCore.Server;
using Grpc.AspNetCore.Server.Model;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using SidecarKit;
using SidecarKit.Rpc;
using SidecarKit.Transports.Grpc.Server;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Serves sidecar contracts from an ASP.NET Core app's grpc-dotnet server, beside its other gRPC services.</summary>
public static class SidecarContractGrpcServerBuilderExtensions
{
    /// <summary>
    /// Registers <typeparamref name="TContract"/> as a gRPC service, served by the implementation
    /// <paramref name="implementationFactory"/> creates (once, when the service is mapped). Map it with
    /// <c>app.MapSidecarContract&lt;TContract&gt;()</c>. Its methods are at the paths of the contract's exported
    /// <c>.proto</c> (<c>/sidecarkit.demo.Demo/Add</c>), their messages the generated protobuf codecs; grpc-dotnet's
    /// options (message sizes, compression, interceptors) apply to them as to any service.
    /// </summary>
    /// <typeparam name="TContract">The contract interface (<c>[SidecarContract]</c>).</typeparam>
    /// <param name="builder">The builder <c>services.AddGrpc()</c> returned.</param>
    /// <param name="implementationFactory">Creates the implementation from the app's services.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static IGrpcServerBuilder AddSidecarContract<TContract>(this IGrpcServerBuilder builder, Func<IServiceProvider, TContract> implementationFactory)
        where TContract : class, ISidecarContract<TContract>
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(implementationFactory);
        builder.Services.TryAddSingleton<SidecarContractService<TContract>>();
        builder.Services.AddSingleton<IServiceMethodProvider<SidecarContractService<TContract>>>(services =>
            new DelegateServiceMethodProvider<SidecarContractService<TContract>>(context =>
            {
                RpcHandlerTable handlers = new RpcHandlerTable().AddContract(implementationFactory(services));
                ILogger logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("SidecarKit.Grpc");
                // No drain of its own: the app's host stops its calls.
                new GrpcContractBinder<SidecarContractService<TContract>>(context, logger, CancellationToken.None).AddContract(TContract.Descriptor, handlers);
            }));
        return builder;
    }
}
