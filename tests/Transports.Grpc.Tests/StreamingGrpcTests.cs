using Microsoft.Extensions.Logging.Abstractions;
using SidecarKit.Hosting;
using SidecarKit.Rpc;
using SidecarKit.Tests.Support;
using SidecarKit.Transports.Grpc.Proto;
using SidecarKit.Transports.Grpc.Server;

namespace SidecarKit.Transports.Grpc.Tests;

/// <summary>
/// Client and bidirectional streaming as gRPC client-streaming and bidirectional methods, over real HTTP/2: the
/// contract served by the sidecar's grpc-dotnet server in this process, called through the generated proxy over
/// <see cref="GrpcSidecarChannel"/> (<see cref="StreamingScenarios"/>).
/// </summary>
public class StreamingGrpcTests : StreamingScenarios
{
    // gRPC has no error a client can send: a caller's failed stream reaches the callee as a cancelled call.
    protected override bool InputErrorsArriveTyped => false;

    // HTTP/2's flow control windows (the stream's 768 KiB and the connection's 1 MiB on Kestrel) and the buffers on the way.
    protected override int MaxAhead => 64;

    protected override async Task<(IStreaming Client, IAsyncDisposable Connection)> ConnectAsync(Streaming service)
    {
        var context = new SidecarServerContext(new SidecarHostOptions { Transport = "grpc" }, null, NullLoggerFactory.Instance,
            [D<IStreaming>()], _ => new RpcHandlerTable().AddContract<IStreaming>(service));
        ISidecarServer server = await GrpcServer.StartAsync(context, unix: false, new GrpcServerOptions(), CancellationToken.None);
        server.SetServing(true);
        GrpcSidecarChannel channel = GrpcSidecarChannel.Create(((GrpcServer)server).ListenInfo);
        return (channel.GetClient<IStreaming>(), new Both(channel, server));
    }

    [Fact]
    public void The_proto_declares_client_streaming_and_bidirectional_rpcs_with_the_item_field()
    {
        ProtoFile file = ProtoExporter.Export(D<IStreaming>());
        Assert.Contains("rpc Sum(stream SumRequest) returns (SumResponse);", file.Text);
        Assert.Contains("rpc Echo(stream EchoRequest) returns (stream EchoResponse);", file.Text);
        Assert.Contains("rpc Keep(stream KeepRequest) returns (google.protobuf.Empty);", file.Text);
        // The streamed parameter is a field of the request message, in the numbering of the whole signature, optional.
        Assert.Contains("message MeasureRequest {\n  string label = 1;\n  optional bytes chunks = 2;\n  optional int32 scale = 3;\n}", file.Text);
        Assert.Contains("message SumRequest {\n  optional int32 values = 1;\n}", file.Text);
    }

    [Fact]
    public async Task A_call_with_progress_is_refused_before_it_is_sent_and_one_without_is_served()
    {
        var context = new SidecarServerContext(new SidecarHostOptions { Transport = "grpc" }, null, NullLoggerFactory.Instance,
            [D<IReporting>()], _ => new RpcHandlerTable().AddContract<IReporting>(new Reporting()));
        await using ISidecarServer server = await GrpcServer.StartAsync(context, unix: false, new GrpcServerOptions(), CancellationToken.None);
        server.SetServing(true);
        await using GrpcSidecarChannel channel = GrpcSidecarChannel.Create(((GrpcServer)server).ListenInfo);
        IReporting client = channel.GetClient<IReporting>();

        var progress = new Recorded<int>();
        var refused = await Assert.ThrowsAsync<NotSupportedException>(() => client.WorkAsync(3, progress));
        Assert.Contains("'reporting.work' reports progress", refused.Message);
        Assert.Contains("gRPC cannot carry", refused.Message);
        Assert.Empty(progress.Reports);

        // Without a progress the call is an ordinary unary call; the implementation's reports go nowhere.
        Assert.Equal(3, await client.WorkAsync(3, null!));
        await client.CopyAsync(null, "x");
    }

    private static ContractDescriptor D<T>() where T : class, ISidecarContract<T> => T.Descriptor;

    private sealed class Both(GrpcSidecarChannel channel, ISidecarServer server) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await channel.DisposeAsync();
            await server.DisposeAsync();
        }
    }
}
