namespace SidecarKit.Benchmarks.Peers;

/// <summary>One comparison of ours with a peer on the same carrier: the rows with one and with 64 outstanding of each.</summary>
internal sealed record PeerPair(string Carrier, string Ours, string Ours1, string Ours64, string Peer, string Peer1, string Peer64)
{
    public bool IsStreamJsonRpc => Peer.StartsWith("StreamJsonRpc", StringComparison.Ordinal);
}

/// <summary>
/// Which of our rows is compared with which peer row, for the ratios after the BenchmarkDotNet table (Targets) and for
/// the interleaved loop (<c>--peers</c>). Same format where both sides have it. On the Unix socket the demo sidecar
/// speaks MessagePack-RPC only, so StreamJsonRpc's JSON there is compared with our MessagePack (the cheapest way each
/// offers on that socket).
/// </summary>
internal static class PeerPairs
{
    public static readonly PeerPair Grpc = new("h2c", "gRPC typed", nameof(GrpcBenchmarks.GrpcAdd_1), nameof(GrpcBenchmarks.GrpcAdd_64),
        "grpc-dotnet + protoc", nameof(GrpcBenchmarks.GrpcDotnetAdd_1), nameof(GrpcBenchmarks.GrpcDotnetAdd_64));

    public static readonly PeerPair[] All =
    [
        new("stdio", "JSON lines", nameof(StdioBenchmarks.TypedAdd_1), nameof(StdioBenchmarks.TypedAdd_64),
            "StreamJsonRpc JSON", nameof(StdioBenchmarks.SjrJsonStdioAdd_1), nameof(StdioBenchmarks.SjrJsonStdioAdd_64)),
        new("stdio", "MessagePack-RPC", nameof(StdioBenchmarks.MsgpackStdioAdd_1), nameof(StdioBenchmarks.MsgpackStdioAdd_64),
            "StreamJsonRpc MessagePack", nameof(StdioBenchmarks.SjrMsgpackStdioAdd_1), nameof(StdioBenchmarks.SjrMsgpackStdioAdd_64)),
        new("unix", "MessagePack-RPC", nameof(UnixSocketBenchmarks.MsgpackUnixAdd_1), nameof(UnixSocketBenchmarks.MsgpackUnixAdd_64),
            "StreamJsonRpc MessagePack", nameof(UnixSocketBenchmarks.SjrMsgpackUnixAdd_1), nameof(UnixSocketBenchmarks.SjrMsgpackUnixAdd_64)),
        new("unix", "MessagePack-RPC", nameof(UnixSocketBenchmarks.MsgpackUnixAdd_1), nameof(UnixSocketBenchmarks.MsgpackUnixAdd_64),
            "StreamJsonRpc JSON", nameof(UnixSocketBenchmarks.SjrJsonUnixAdd_1), nameof(UnixSocketBenchmarks.SjrJsonUnixAdd_64)),
        Grpc,
    ];
}
