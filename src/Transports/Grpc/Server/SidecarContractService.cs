namespace SidecarKit.Transports.Grpc.Server;

/// <summary>
/// The grpc-dotnet service type a contract is mapped as in an ASP.NET Core app (one per contract, so that each has its
/// own endpoints and method provider); its methods ignore the instance and call the contract's implementation.
/// </summary>
/// <typeparam name="TContract">The contract interface.</typeparam>
internal sealed class SidecarContractService<TContract> where TContract : class;
