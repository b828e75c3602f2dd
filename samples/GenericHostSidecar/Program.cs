using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SidecarKit.Hosting;
using SidecarKit.Samples.Demo;
using SidecarKit.Samples.GenericHostSidecar;
using SidecarKit.Transports.JsonLines;
using SidecarKit.Transports.MessagePack;
using SidecarKit.Transports.Grpc;

// The demo contract on the .NET Generic Host (docs/generic-host.md): DemoService is resolved from dependency injection,
// a new scope per call, with a Greeter (configured from appsettings.json) and a client of the parent's IDemoEvents
// over the calling connection injected; a Heartbeat hosted service runs beside it. The host stops with the sidecar, and the sidecar with the host.
// The app's folder is the content root: a sidecar's working directory is its parent's, where its appsettings.json is not.
HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
builder.Services.AddSingleton(new Greeter(builder.Configuration["Greeter:Greeting"] ?? "hello"));
builder.Services.AddSingleton<Heartbeat>();
builder.Services.AddHostedService(services => services.GetRequiredService<Heartbeat>());

SidecarContractLifetime lifetime = Environment.GetEnvironmentVariable("DEMO_LIFETIME") switch
{
    "connection" => SidecarContractLifetime.PerConnection,
    _ => SidecarContractLifetime.PerCall,
};
builder.AddSidecar(args, sidecar => sidecar
    .ConfigureHost(host => host.AddJsonLines().AddMessagePack().AddGrpc())
    .AddContract<IDemo, DemoService>(lifetime)
    .AddCallbackContract<IDemoEvents>());

// The sidecar's exit code (0 after a clean stop, 2 for a bad command line) is Environment.ExitCode, which a program
// without a return value returns.
await builder.Build().RunAsync();
