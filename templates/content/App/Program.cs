using Microsoft.Extensions.Logging;
using MyContract;
using SidecarKit.Processes;
using SidecarKit.Transports.JsonLines;

// Starts the sidecar bundled with this app (the <SidecarProject> item in the project file), waits until it is ready,
// calls it, and stops it gracefully. The sidecar's logs (its stderr) show up in this app's console log.
using ILoggerFactory loggerFactory = LoggerFactory.Create(logging => logging.AddSimpleConsole(console => console.SingleLine = true));
ILogger logger = loggerFactory.CreateLogger("MyApp");

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancellation.Cancel(); };

SidecarProcessOptions options = new SidecarProcessOptions { Name = "MySidecar", LoggerFactory = loggerFactory }
    .UseBundledSidecar("MySidecar")
    .UseJsonLines();
await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options, cancellation.Token);
logger.LogInformation("Sidecar {Name} is ready (pid {Pid})", options.Name, sidecar.ProcessId);

IGreeter greeter = sidecar.GetClient<IGreeter>();
string greeting = await greeter.GreetAsync(args.Length > 0 ? args[0] : "world", cancellation.Token);
Console.WriteLine(greeting);

int exitCode = await sidecar.StopAsync(cancellation.Token);
logger.LogInformation("Sidecar {Name} stopped with exit code {ExitCode}", options.Name, exitCode);
return exitCode;
