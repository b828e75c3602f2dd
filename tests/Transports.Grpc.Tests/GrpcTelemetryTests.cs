using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using SidecarKit.Hosting;
using SidecarKit.Rpc;
using SidecarKit.Samples.Demo;
using SidecarKit.Tests.Support;
using SidecarKit.Transports.Grpc.Server;

namespace SidecarKit.Transports.Grpc.Tests;

/// <summary>
/// Spans and metrics of gRPC calls: the sidecar's server (Kestrel, HTTP/2) in this process so one exporter sees both
/// ends; the trace context crosses in the headers (<c>traceparent</c>).
/// </summary>
[Collection(TelemetryCapture.Collection)]
public class GrpcTelemetryTests : IAsyncLifetime
{
    private ISidecarServer _server = null!;

    public async Task InitializeAsync()
    {
        var context = new SidecarServerContext(new SidecarHostOptions { Transport = "grpc" }, null, NullLoggerFactory.Instance,
            [Descriptor<IDemo>()], _ => new RpcHandlerTable().AddContract<IDemo>(new InProcessDemo()));
        _server = await GrpcServer.StartAsync(context, unix: false, new GrpcServerOptions(), CancellationToken.None);
        _server.SetServing(true);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static ContractDescriptor Descriptor<T>() where T : class, ISidecarContract<T> => T.Descriptor;

    [Fact]
    public async Task A_grpc_call_is_a_client_span_and_a_server_span_of_one_trace()
    {
        using var capture = new TelemetryCapture();
        await using GrpcSidecarChannel channel = GrpcSidecarChannel.Create(_server.ListenInfo);
        IDemo demo = channel.GetClient<IDemo>();
        ActivityTraceId trace;
        using (Activity test = capture.StartRoot())
        {
            trace = test.TraceId;
            Assert.Equal(5, await demo.AddAsync(2, 3));
            await Assert.ThrowsAsync<GrpcStatusException>(() => demo.DivideAsync(1, 0));
            int n = 0;
            await foreach (int _ in demo.CountAsync(3)) n++;
            Assert.Equal(3, n);
        }
        Activity client = await capture.SpanAsync(trace, s => s.Source.Name == "SidecarKit" && s.Kind == ActivityKind.Client && s.DisplayName == "demo/add");
        Activity server = await capture.SpanAsync(trace, s => s.Kind == ActivityKind.Server && s.DisplayName == "demo/add");
        Assert.Equal(trace, server.TraceId); // one trace across HTTP/2, whichever instrumentation carried it
        Assert.True(IsAncestor(capture, trace, client.SpanId, server), "the server span descends from the client span");
        Assert.Equal("grpc", client.GetTagItem("rpc.system"));
        Assert.Equal("grpc", server.GetTagItem("rpc.system"));
        Assert.Equal("add", server.GetTagItem("rpc.method"));

        Activity failed = await capture.SpanAsync(trace, s => s.Kind == ActivityKind.Server && s.DisplayName == "demo/divide");
        Assert.Equal(ActivityStatusCode.Error, failed.Status);
        Activity stream = await capture.SpanAsync(trace, s => s.Kind == ActivityKind.Client && s.DisplayName == "demo/count");
        Activity streamed = await capture.SpanAsync(trace, s => s.Kind == ActivityKind.Server && s.DisplayName == "demo/count");
        Assert.True(IsAncestor(capture, trace, stream.SpanId, streamed));
        Assert.NotEmpty(capture.Points("rpc.client.duration", ("rpc.system", "grpc"), ("rpc.method", "add")));
    }

    // The server span's parent may be ASP.NET Core's request span (itself a child of the client's): walk up.
    private static bool IsAncestor(TelemetryCapture capture, ActivityTraceId trace, ActivitySpanId ancestor, Activity span)
    {
        IReadOnlyList<Activity> spans = capture.Spans(trace);
        for (ActivitySpanId parent = span.ParentSpanId; parent != default;)
        {
            if (parent == ancestor) return true;
            Activity? next = spans.FirstOrDefault(s => s.SpanId == parent);
            if (next is null) return false;
            parent = next.ParentSpanId;
        }
        return false;
    }
}
