using Microsoft.AspNetCore.Routing;
using SidecarKit;
using SidecarKit.Transports.Grpc.Server;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps sidecar contracts registered with <c>AddSidecarContract</c> into an ASP.NET Core app's endpoints.</summary>
public static class SidecarContractEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the gRPC service of <typeparamref name="TContract"/>, registered with
    /// <c>services.AddGrpc().AddSidecarContract&lt;TContract&gt;(…)</c>, as <c>MapGrpcService</c> maps a generated one.
    /// </summary>
    /// <typeparam name="TContract">The contract interface.</typeparam>
    /// <param name="builder">The app's endpoints.</param>
    /// <returns>A builder for the endpoints' conventions (authorization, CORS, …).</returns>
    public static GrpcServiceEndpointConventionBuilder MapSidecarContract<TContract>(this IEndpointRouteBuilder builder)
        where TContract : class, ISidecarContract<TContract>
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.MapGrpcService<SidecarContractService<TContract>>();
    }
}
