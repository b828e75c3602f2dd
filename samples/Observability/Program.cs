using System.Diagnostics;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using SidecarKit.Diagnostics;
using SidecarKit.Processes;
using SidecarKit.Samples.Demo;
using SidecarKit.Transports.JsonLines;

// The demo sidecar under the OpenTelemetry SDK and its console exporter (docs/observability.md):
//
//   dotnet run --project samples/Observability
//
// The parent's spans (its root, the client span of each call, its span of each callback) print as the console
// exporter writes them; the sidecar records its own spans (DEMO_TRACES=1) and logs each one, which this program logs
// again: every line of one call shows the same trace id. The metrics print at the end.
using TracerProvider tracing = Sdk.CreateTracerProviderBuilder()
    .AddSource(SidecarTelemetry.ActivitySourceName, "Observability")
    .AddConsoleExporter()
    .Build();
using MeterProvider metrics = Sdk.CreateMeterProviderBuilder()
    .AddMeter(SidecarTelemetry.MeterName)
    .AddConsoleExporter()
    .Build();
using ILoggerFactory logging = LoggerFactory.Create(b => b.AddSimpleConsole(c => c.SingleLine = true));

var options = new SidecarProcessOptions { LoggerFactory = logging, Environment = { ["DEMO_TRACES"] = "1" } }.UseBundledSidecar("demo").UseJsonLines();
options.Callbacks.AddContract<IDemoEvents>(new Events());
await using (SidecarProcess sidecar = await SidecarProcess.StartAsync(options))
{
    IDemo demo = sidecar.GetClient<IDemo>();
    var source = new ActivitySource("Observability");
    using (Activity? root = source.StartActivity("checkout"))
    {
        Console.WriteLine($"trace {root?.TraceId}: demo.add, then demo.work (which calls back demoEvents.progress and demoEvents.confirm)");
        Console.WriteLine($"demo.add(2, 3) = {await demo.AddAsync(2, 3)}");
        Console.WriteLine($"demo.work(2) = {await demo.WorkAsync(2)}");
    }
    await sidecar.StopAsync();
}
metrics.ForceFlush();
return 0;

internal sealed class Events : IDemoEvents
{
    public void Progress(string task, int percent) => Console.WriteLine($"  progress {task} {percent}%");

    public Task<bool> ConfirmAsync(string question, CancellationToken ct = default) => Task.FromResult(true);
}
