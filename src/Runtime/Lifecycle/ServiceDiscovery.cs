using System.Text.Json;
using SidecarKit.Rpc;
using SidecarKit.Schema;
using SidecarKit.Wire;

namespace SidecarKit.Lifecycle;

/// <summary>
/// <c>rpc.discover</c>, OpenRPC's service discovery method: the sidecar's OpenRPC document (<see cref="OpenRpcExporter"/>)
/// as the result, a JSON object on JSON-RPC and a map on MessagePack-RPC. Served on every RPC connection; gRPC has
/// server reflection instead (docs/grpc.md).
/// </summary>
internal static class ServiceDiscovery
{
    /// <summary>The method's wire name, which the OpenRPC specification fixes.</summary>
    public const string Method = "rpc.discover";

    /// <summary>The handler answering <paramref name="document"/> (built once per host: the contracts do not change).</summary>
    public static RpcMethodHandler Handler(JsonElement document)
        => RpcMethodHandler.Unary<NoArgs, JsonElement, JsonElementCodec>(Method, (_, _) => new ValueTask<JsonElement>(document));

    /// <summary>The document of <paramref name="contracts"/> and <paramref name="callbacks"/>, parsed once.</summary>
    public static JsonElement Document(IReadOnlyList<ContractDescriptor> contracts, IReadOnlyList<ContractDescriptor> callbacks)
    {
        using JsonDocument parsed = JsonDocument.Parse(OpenRpcExporter.Export(contracts, callbacks, indented: false));
        return parsed.RootElement.Clone();
    }
}
