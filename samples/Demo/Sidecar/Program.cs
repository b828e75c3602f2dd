using System.Diagnostics;
using Microsoft.Extensions.Logging;
using SidecarKit.Diagnostics;
using SidecarKit.Hosting;
using SidecarKit.Samples.Demo;
using SidecarKit.Samples.Demo.Sidecar;
using SidecarKit.Transports.JsonLines;
using SidecarKit.Transports.MessagePack;
using SidecarKit.Transports.Grpc;

// The demo sidecar: serves IDemo (CONFORMANCE.md) and calls the parent back through IDemoEvents.
// DEMO_GRPC_COMPRESS=1 gzips gRPC responses of 1 KiB and more, for the compression tests.
SidecarHostBuilder builder = SidecarHost.CreateBuilder(args).AddJsonLines().AddMessagePack()
    .AddGrpc(grpc => grpc.CompressResponses = Environment.GetEnvironmentVariable("DEMO_GRPC_COMPRESS") == "1");
ILogger logger = builder.LoggerFactory.CreateLogger("demo");
// For the bulk benchmarks: DEMO_UPLOAD_UNHASHED=1 makes demo.upload count what arrives without hashing it ("<length>:unhashed"),
// so that an upload row measures the Stream parameter's transport, as the raw floor it is compared with does.
bool hashUploads = Environment.GetEnvironmentVariable("DEMO_UPLOAD_UNHASHED") != "1";
builder.AddContract<IDemo>(channel => new DemoService(channel.GetClient<IDemoEvents>(), logger, hashUploads)).AddCallbackContract<IDemoEvents>();
// For readiness tests: DEMO_READY_DELAY_MS holds the sidecar "starting" (gRPC health NOT_SERVING) for that long.
if (int.TryParse(Environment.GetEnvironmentVariable("DEMO_READY_DELAY_MS"), out int readyDelay) && readyDelay > 0)
    builder.AddStartupTask(ct => Task.Delay(readyDelay, ct));
// For the limit tests: DEMO_MAX_CONCURRENT sets how many requests run at once (per connection; per server on gRPC).
if (int.TryParse(Environment.GetEnvironmentVariable("DEMO_MAX_CONCURRENT"), out int maxConcurrent) && maxConcurrent > 0)
    builder.Options.Connection.MaxConcurrentRequests = maxConcurrent;
// DEMO_TRACES=1: the sidecar records its spans (so the callbacks it makes while serving a call continue that call's
// trace) and logs each one as it ends; docs/observability.md.
if (Environment.GetEnvironmentVariable("DEMO_TRACES") == "1")
{
    ILogger traces = builder.LoggerFactory.CreateLogger("demo.traces");
    ActivitySource.AddActivityListener(new ActivityListener
    {
        ShouldListenTo = source => source.Name == SidecarTelemetry.ActivitySourceName,
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        ActivityStopped = span => traces.LogInformation("span {Name} {Kind} trace={TraceId} span={SpanId} parent={ParentSpanId}",
            span.DisplayName, span.Kind, span.TraceId, span.SpanId, span.ParentSpanId),
    });
}
return await builder.Build().RunAsync();
