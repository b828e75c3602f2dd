using StreamJsonRpc;
using StreamJsonRpc.Protocol;

namespace SidecarKit.Interop.StreamJsonRpc.Tests;

/// <summary>
/// What a StreamJsonRpc server does with <c>params._meta</c> (the MCP convention SidecarKit reserves for request metadata
/// such as <c>traceparent</c> and <c>deadline</c>): by default its named-argument matching refuses a name that matches no
/// parameter (-32602); with <see cref="JsonRpcTargetOptions.AllowFlexibleNamedArgumentMatching"/> it ignores it. Documented in
/// docs/transports.md.
/// </summary>
public sealed class RequestMetadataTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static readonly Dictionary<string, object> AddWithMeta = new()
    {
        ["a"] = 2,
        ["b"] = 3,
        ["_meta"] = new Dictionary<string, string> { ["traceparent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" },
    };

    private static async Task<int> AddAsync(JsonRpcTargetOptions? options, IReadOnlyDictionary<string, object> args)
    {
        using var pipes = new OsPipes();
        using JsonRpc server = StreamJsonRpcPeer.HeaderDelimited(pipes.B.Output, pipes.B.Input);
        server.AddLocalRpcTarget(new StreamJsonRpcDemoServer(), options);
        server.StartListening();
        using JsonRpc client = StreamJsonRpcPeer.HeaderDelimited(pipes.A.Output, pipes.A.Input);
        client.StartListening();
        return await client.InvokeWithParameterObjectAsync<int>("demo.add", args).WaitAsync(Patience);
    }

    [Fact]
    public async Task By_default_a_meta_member_makes_the_call_fail_with_invalid_params()
    {
        // StreamJsonRpc reports it with RemoteMethodNotFoundException, code -32602: no overload takes a "_meta" argument.
        RemoteMethodNotFoundException e = await Assert.ThrowsAsync<RemoteMethodNotFoundException>(() => AddAsync(null, AddWithMeta));
        Assert.Equal(JsonRpcErrorCode.InvalidParams, e.ErrorCode);
        Assert.Equal(5, await AddAsync(null, new Dictionary<string, object> { ["a"] = 2, ["b"] = 3 }));
    }

    [Fact]
    public async Task With_flexible_named_argument_matching_the_meta_member_is_ignored()
    {
        Assert.Equal(5, await AddAsync(new JsonRpcTargetOptions { AllowFlexibleNamedArgumentMatching = true }, AddWithMeta));
    }
}
