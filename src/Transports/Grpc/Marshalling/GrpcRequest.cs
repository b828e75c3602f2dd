using SidecarKit.Wire;

namespace SidecarKit.Transports.Grpc.Marshalling;

/// <summary>
/// A contract method's request message as grpc-dotnet carries it: the generated args struct in a class, because
/// <c>CallInvoker</c> and the server's method binding take reference types only.
/// </summary>
/// <typeparam name="TArgs">The method's generated args struct.</typeparam>
public sealed class GrpcRequest<TArgs> where TArgs : struct, IWireArgs<TArgs>
{
    /// <summary>Wraps <paramref name="args"/>.</summary>
    public GrpcRequest(TArgs args) => Args = args;

    /// <summary>The method's arguments.</summary>
    public TArgs Args { get; }
}
