using Microsoft.Extensions.Logging;
using SidecarKit.Hosting;
using SidecarKit.Samples.Demo;
using SidecarKit.Samples.Demo.Sidecar;
using SidecarKit.Transports.JsonLines;
using SidecarKit.Transports.MessagePack;
using SidecarKit.Transports.Grpc;

// The demo sidecar: serves IDemo (CONFORMANCE.md) and calls the parent back through IDemoEvents.
SidecarHostBuilder builder = SidecarHost.CreateBuilder(args).AddJsonLines().AddMessagePack().AddProtoDescription();
ILogger logger = builder.LoggerFactory.CreateLogger("demo");
builder.AddContract<IDemo>(channel => new DemoService(channel.GetClient<IDemoEvents>(), logger));
return await builder.Build().RunAsync();
