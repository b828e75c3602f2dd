using Microsoft.Extensions.Logging;
using MyContract;
using MySidecar;
using SidecarKit.Hosting;
using SidecarKit.Transports.JsonLines;

// Serves IGreeter over JSON lines on stdio until the parent stops it (or closes stdin, or dies). The standard flags
// come with SidecarHost: --transport, --describe json, --log-level, --quiet-ready, --help. Logs go to stderr, which
// the parent reads.
SidecarHostBuilder builder = SidecarHost.CreateBuilder(args).AddJsonLines();
builder.AddContract<IGreeter>(new Greeter(builder.LoggerFactory.CreateLogger<Greeter>()));
return await builder.Build().RunAsync();
