using SidecarKit.Rpc;
using SidecarKit.Tests.Support;
using SidecarKit.Transports.Grpc.Proto;

namespace SidecarKit.Transports.Grpc.Tests;

/// <summary>An inherited contract in protobuf: one service with the inherited rpcs, served through the protobuf bytes.</summary>
public class ContractInheritanceGrpcTests
{
    private static ContractDescriptor D<T>() where T : class, ISidecarContract<T> => T.Descriptor;

    [Fact]
    public void The_proto_service_of_a_derived_contract_has_the_inherited_rpcs_and_no_dispose()
    {
        ProtoFile file = ProtoExporter.Export(D<IAdvancedOps>());
        Assert.Equal("Advanced", file.Service);
        Assert.Contains("rpc Ping(PingRequest) returns (PingResponse);", file.Text);
        Assert.Contains("rpc Count(CountRequest) returns (stream CountResponse);", file.Text);
        Assert.Contains("rpc Note(NoteRequest) returns (google.protobuf.Empty);", file.Text);
        Assert.Contains("rpc Add(AddRequest) returns (AddResponse);", file.Text);
        Assert.DoesNotContain("Dispose", file.Text);
    }

    [Fact]
    public async Task Inherited_and_own_methods_cross_as_protobuf()
    {
        var loopback = new ProtobufLoopback(new RpcHandlerTable().AddContract<IAdvancedOps>(new AdvancedOps()));
        IAdvancedOps advanced = loopback.GetClient<IAdvancedOps>();
        Assert.Equal("pong: x", await advanced.PingAsync("x"));
        Assert.Equal(9, await advanced.AddAsync(4, 5));
        var items = new List<int>();
        await foreach (int i in advanced.CountAsync(3)) items.Add(i);
        Assert.Equal([0, 1, 2], items);
        await advanced.DisposeAsync();
        Assert.Equal(1, await advanced.AddAsync(1, 0));
    }
}
