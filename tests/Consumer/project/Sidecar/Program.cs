using Consumer;
using SidecarKit.Hosting;
using SidecarKit.Transports.JsonLines;

// Serves ICalc over JSON lines (the SidecarKit package, through the contract library).
SidecarHostBuilder builder = SidecarHost.CreateBuilder(args).AddJsonLines();
builder.AddContract<ICalc>(_ => new Calc());
return await builder.Build().RunAsync();
