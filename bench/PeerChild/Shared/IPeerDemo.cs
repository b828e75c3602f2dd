using PolyType;
using StreamJsonRpc;

namespace SidecarKit.Benchmarks.Peers;

/// <summary>
/// <c>demo.add</c> as a StreamJsonRpc contract: the same method name, parameters and result as SidecarKit's
/// <c>IDemo.AddAsync</c>. Compiled into both ends (PeerChild serves it, the benchmarks call it through StreamJsonRpc's
/// source-generated proxy).
/// </summary>
[JsonRpcContract]
[GenerateShape(IncludeMethods = MethodShapeFlags.PublicInstance)] // as StreamJsonRpc0008 asks: its shape for the formatters that use one
public partial interface IPeerDemo
{
    /// <summary>Returns <c>a + b</c>; overflow is an error, as in the demo sidecar.</summary>
    [JsonRpcMethod("demo.add")]
    Task<int> AddAsync(int a, int b, CancellationToken cancellationToken = default);
}
