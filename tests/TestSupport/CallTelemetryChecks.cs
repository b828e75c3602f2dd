using System.Diagnostics;
using SidecarKit.Rpc;
using Xunit;

namespace SidecarKit.Tests.Support;

/// <summary>
/// A test class base: traces and metrics of calls over in-memory pipes in the protocol given, both ends in this
/// process so one exporter sees the client's and the server's spans (the context crosses only on the wire). Derived
/// classes join <see cref="TelemetryCapture.Collection"/>.
/// </summary>
public abstract class CallTelemetryChecks(Func<RpcProtocol> protocol, string system)
{
    private (ConnectionPair Pair, IEngine Engine) Connect()
    {
        var accessor = new RpcChannelAccessor();
        ConnectionPair pair = ConnectionPair.Create(new RpcHandlerTable().AddContract<IEngine>(new EngineService(accessor)),
            new RpcHandlerTable().AddContract<IParent>(new DoublingParent()), protocol: protocol);
        accessor.Channel = pair.Server;
        return (pair, pair.Client.GetClient<IEngine>());
    }

    [Fact]
    public async Task A_call_is_a_client_span_and_a_server_span_of_one_trace_tagged_by_the_rpc_conventions()
    {
        using var capture = new TelemetryCapture();
        (ConnectionPair pair, IEngine engine) = Connect();
        await using (pair)
        {
            ActivityTraceId trace;
            ActivitySpanId root;
            using (Activity test = capture.StartRoot())
            {
                (trace, root) = (test.TraceId, test.SpanId);
                Assert.Equal(7, await engine.EchoAsync(7));
            }
            Activity client = await capture.SpanAsync(trace, s => s.Kind == ActivityKind.Client && s.DisplayName == "engine/echo");
            Activity server = await capture.SpanAsync(trace, s => s.Kind == ActivityKind.Server && s.DisplayName == "engine/echo");
            Assert.Equal(root, client.ParentSpanId);
            Assert.Equal(client.SpanId, server.ParentSpanId); // the context crossed the wire
            foreach (Activity span in new[] { client, server })
            {
                Assert.Equal(system, span.GetTagItem("rpc.system"));
                Assert.Equal("engine", span.GetTagItem("rpc.service"));
                Assert.Equal("echo", span.GetTagItem("rpc.method"));
                Assert.Equal(ActivityStatusCode.Unset, span.Status);
            }
        }
    }

    [Fact]
    public async Task A_failed_call_has_an_error_status_on_both_sides_and_callbacks_and_streams_join_the_trace()
    {
        using var capture = new TelemetryCapture();
        (ConnectionPair pair, IEngine engine) = Connect();
        await using (pair)
        {
            ActivityTraceId trace;
            using (Activity test = capture.StartRoot())
            {
                trace = test.TraceId;
                await Assert.ThrowsAsync<SidecarRemoteException>(() => engine.FailAsync(-32042, "out of widgets"));
                Assert.Equal(43, await engine.AskParentAsync(21));
                int n = 0;
                await foreach (int _ in engine.RangeAsync(3)) n++;
                Assert.Equal(3, n);
            }
            Activity failedClient = await capture.SpanAsync(trace, s => s.Kind == ActivityKind.Client && s.DisplayName == "engine/fail");
            Activity failedServer = await capture.SpanAsync(trace, s => s.Kind == ActivityKind.Server && s.DisplayName == "engine/fail");
            Assert.Equal(ActivityStatusCode.Error, failedClient.Status);
            Assert.Equal(ActivityStatusCode.Error, failedServer.Status);
            Assert.Equal("out of widgets", failedClient.StatusDescription);
            Assert.Equal("-32042", failedClient.GetTagItem("error.type"));

            // The server's call to its parent is a client span under the server span, answered by a server span under it.
            Activity ask = await capture.SpanAsync(trace, s => s.Kind == ActivityKind.Server && s.DisplayName == "engine/askParent");
            Activity callback = await capture.SpanAsync(trace, s => s.Kind == ActivityKind.Client && s.DisplayName == "parent/double");
            Activity served = await capture.SpanAsync(trace, s => s.Kind == ActivityKind.Server && s.DisplayName == "parent/double");
            Assert.Equal(ask.SpanId, callback.ParentSpanId);
            Assert.Equal(callback.SpanId, served.ParentSpanId);

            Activity stream = await capture.SpanAsync(trace, s => s.Kind == ActivityKind.Client && s.DisplayName == "engine/range");
            Activity streamed = await capture.SpanAsync(trace, s => s.Kind == ActivityKind.Server && s.DisplayName == "engine/range");
            Assert.Equal(stream.SpanId, streamed.ParentSpanId);
        }
    }

    [Fact]
    public async Task A_stream_whose_receiver_grants_no_credit_is_counted_as_a_stall()
    {
        using var capture = new TelemetryCapture();
        (ConnectionPair pair, IEngine engine) = Connect();
        await using (pair)
        {
            await using IAsyncEnumerator<int> items = engine.RangeAsync(10_000).GetAsyncEnumerator();
            Assert.True(await items.MoveNextAsync()); // one item read, the rest not: the window fills and the server waits
            var clock = Stopwatch.StartNew();
            while (capture.Points("sidecarkit.stream.credit_stalls", ("rpc.method", "engine.range")).Sum(p => p.GetSumLong()) == 0)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "no stall counted");
                await Task.Delay(20);
            }
        }
    }

    [Fact]
    public async Task Calls_in_flight_show_on_the_connection_gauges()
    {
        using var capture = new TelemetryCapture();
        (ConnectionPair pair, IEngine engine) = Connect();
        await using (pair)
        {
            using var cts = new CancellationTokenSource();
            Task<string> sleeping = engine.SleepAsync(60_000, cts.Token);
            // Other tests run alongside: at least this call is owed on the server side and waited for on the client side.
            var clock = Stopwatch.StartNew();
            while (Gauge(capture, "sidecarkit.connection.replies_owed") < 1 || Gauge(capture, "sidecarkit.connection.calls_waiting") < 1)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "the call in flight does not show");
                await Task.Delay(20);
            }
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sleeping);
        }
    }

    private long Gauge(TelemetryCapture capture, string name)
        => capture.Points(name, ("rpc.system", system)).Sum(p => p.GetGaugeLastValueLong());

    [Fact]
    public async Task Calls_are_measured_by_the_rpc_metrics()
    {
        using var capture = new TelemetryCapture();
        (ConnectionPair pair, IEngine engine) = Connect();
        await using (pair)
        {
            for (int i = 0; i < 3; i++) Assert.Equal(i, await engine.EchoAsync(i));
            await Assert.ThrowsAsync<SidecarRemoteException>(() => engine.ThrowAsync("boom"));
            // The server records after it answered: give it a moment (not a timing assert, a bound on waiting).
            var clock = Stopwatch.StartNew();
            while (capture.Points("rpc.server.duration", ("rpc.system", system), ("rpc.method", "throw")).Count == 0 && clock.Elapsed < TimeSpan.FromSeconds(10))
                await Task.Delay(20);
        }
        Assert.Equal("ms", capture.Unit("rpc.client.duration"));
        Assert.Equal("ms", capture.Unit("rpc.server.duration"));
        long echoes = capture.Points("rpc.client.duration", ("rpc.system", system), ("rpc.service", "engine"), ("rpc.method", "echo"))
            .Sum(p => p.GetHistogramCount());
        Assert.True(echoes >= 3, $"{echoes} echo calls measured");
        Assert.NotEmpty(capture.Points("rpc.server.duration", ("rpc.system", system), ("rpc.method", "echo")));
        Assert.NotEmpty(capture.Points("rpc.client.duration", ("rpc.method", "throw"), ("error.type", "-32603")));
        Assert.NotEmpty(capture.Points("rpc.server.duration", ("rpc.method", "throw"), ("error.type", nameof(InvalidOperationException))));
    }
}
