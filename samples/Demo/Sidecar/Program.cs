using Microsoft.Extensions.Logging;
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
builder.AddContract<IDemo>(channel => new DemoService(channel.GetClient<IDemoEvents>(), logger)).AddCallbackContract<IDemoEvents>();
// For readiness tests: DEMO_READY_DELAY_MS holds the sidecar "starting" (gRPC health NOT_SERVING) for that long.
if (int.TryParse(Environment.GetEnvironmentVariable("DEMO_READY_DELAY_MS"), out int readyDelay) && readyDelay > 0)
    builder.AddStartupTask(ct => Task.Delay(readyDelay, ct));
// For the limit tests: DEMO_MAX_CONCURRENT sets how many requests run at once (per connection; per server on gRPC).
if (int.TryParse(Environment.GetEnvironmentVariable("DEMO_MAX_CONCURRENT"), out int maxConcurrent) && maxConcurrent > 0)
    builder.Options.Connection.MaxConcurrentRequests = maxConcurrent;
return await builder.Build().RunAsync();
