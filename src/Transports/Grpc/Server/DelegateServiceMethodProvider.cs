using System.Diagnostics.CodeAnalysis;
using Grpc.AspNetCore.Server.Model;

namespace SidecarKit.Transports.Grpc.Server;

/// <summary>grpc-dotnet's hook for code-first services: adds the methods <paramref name="add"/> binds when the service is mapped.</summary>
internal sealed class DelegateServiceMethodProvider<[DynamicallyAccessedMembers(GrpcServiceAccess.Members)] TService>(Action<ServiceMethodProviderContext<TService>> add) : IServiceMethodProvider<TService>
    where TService : class
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context) => add(context);
}
