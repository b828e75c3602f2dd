using Consumer;
using Microsoft.Extensions.DependencyInjection;
using SidecarKit.Hosting;
using SidecarKit.Processes;
using SidecarKit.Transports.Grpc;
using SidecarKit.Transports.JsonLines;
using SidecarKit.Transports.MessagePack;

if (args.Length > 0 && args[0] == "sidecar")
{
    SidecarHostBuilder builder = SidecarHost.CreateBuilder(args[1..]).AddJsonLines().AddMessagePack().AddGrpc();
    builder.AddContract<ICalc>(_ => new Calc());
    return await builder.Build().RunAsync();
}

// The hosting package: a supervised sidecar registered in a service collection (compiled and registered, not started).
var services = new ServiceCollection();
services.AddSidecar<ICalc>("calc", o => o.Process.FileName = "dotnet");
Console.WriteLine($"  ok   SidecarKit.Extensions.Hosting registers ICalc ({services.Count} services)");

int failed = 0;
// The bundled sidecar (Sidecar/, a <SidecarProject> of this App): found by name in sidecars/calc/ beside this program.
try
{
    SidecarProcessOptions options = new SidecarProcessOptions { ReadyTimeout = TimeSpan.FromSeconds(60) }
        .UseBundledSidecar("calc").UseJsonLines();
    string how = Path.GetFileName(options.FileName) == "dotnet" ? "framework-dependent" : "native";
    await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options);
    int sum = await sidecar.GetClient<ICalc>().AddAsync(2, 3);
    await sidecar.StopAsync();
    if (sum == 5) Console.WriteLine($"  ok   calc.add(2, 3) = 5 from the bundled sidecar ({how})");
    else { failed++; Console.WriteLine($"  FAIL calc.add(2, 3) = {sum} from the bundled sidecar ({how})"); }
}
catch (Exception e)
{
    failed++;
    Console.WriteLine($"  FAIL calc.add from the bundled sidecar: {e.GetType().Name}: {e.Message}");
}
if (args.Length > 0 && args[0] == "bundled-only") return failed == 0 ? 0 : 1;

string self = typeof(Program).Assembly.Location;
var transports = new (string Name, Func<SidecarProcessOptions, SidecarProcessOptions> Use)[]
{
    (JsonLines.TransportName, o => o.UseJsonLines()),
    (MessagePackExtensions.StdioTransportName, o => o.UseMessagePack()),
    ("grpc", o => o.UseGrpc()),
};
foreach (var (name, use) in transports)
{
    try
    {
        SidecarProcessOptions options = use(new SidecarProcessOptions
        {
            Name = "calc-" + name,
            FileName = "dotnet",
            ReadyTimeout = TimeSpan.FromSeconds(60),
        });
        options.Arguments.Add(self);
        options.Arguments.Add("sidecar");
        options.Arguments.Add("--transport");
        options.Arguments.Add(name);
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options);
        int sum = await sidecar.GetClient<ICalc>().AddAsync(2, 3);
        await sidecar.StopAsync();
        if (sum == 5) Console.WriteLine($"  ok   calc.add(2, 3) = 5 over {name}");
        else { failed++; Console.WriteLine($"  FAIL calc.add(2, 3) = {sum} over {name}"); }
    }
    catch (Exception e)
    {
        failed++;
        Console.WriteLine($"  FAIL calc.add over {name}: {e.GetType().Name}: {e.Message}");
    }
}
return failed == 0 ? 0 : 1;
