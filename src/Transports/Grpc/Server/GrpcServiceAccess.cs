using System.Diagnostics.CodeAnalysis;

namespace SidecarKit.Transports.Grpc.Server;

/// <summary>What grpc-dotnet's model types require of a service type for trimming (its own <c>ServiceAccessibility</c>).</summary>
internal static class GrpcServiceAccess
{
    public const DynamicallyAccessedMemberTypes Members =
        DynamicallyAccessedMemberTypes.PublicConstructors | DynamicallyAccessedMemberTypes.PublicMethods | DynamicallyAccessedMemberTypes.NonPublicMethods;
}
