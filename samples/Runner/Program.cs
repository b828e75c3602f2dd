// The sidecars of one JSON file, started without a host: one config, one start command.
//
//   dotnet run --project samples/Runner -- samples/Runner/sidecars.json
//
// Reads the "Sidecars" section with the same model, validation and translation as AddSidecarsFromConfiguration
// (SidecarKit.Extensions.Configuration), starts every sidecar in the order of their names, prints each state change
// with the sidecar's name, and on Ctrl+C (SIGINT) or SIGTERM stops them all gracefully, in reverse order, and exits 0.
// A wrong declaration exits 2 with every wrong key; a sidecar that cannot start exits 1 after stopping the others.
// The sample file runs four side by side: the C# demo sidecar (the protocol, JSON lines), a shell heartbeat (plain,
// ready and alive by an output line), Python's http.server (HTTP readiness and liveness) and a Python grpcio server of
// the demo contract (a prepare command exports the .proto, grpc.health.v1 readiness and liveness). Run it from the
// repository root with /usr/bin/python3 having python3-grpcio and python3-protobuf (scripts/test.sh installs them).
using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using SidecarKit;
using SidecarKit.Configuration;
using SidecarKit.Processes;
using SidecarKit.Supervision;
using SidecarKit.Transports.Grpc;
using SidecarKit.Transports.MessagePack;

string file = Path.GetFullPath(args.Length > 0 ? args[0] : Path.Combine(AppContext.BaseDirectory, "sidecars.json"));
if (!File.Exists(file))
{
    Console.Error.WriteLine($"runner: no such file: {file}");
    return 2;
}

// Where the runner's own files are (the bundled demo sidecar, the grpcio server script): sidecars.json refers to it as
// ${SIDECARKIT_RUNNER_DIR}, expanded from this process's environment when each sidecar starts.
Environment.SetEnvironmentVariable("SIDECARKIT_RUNNER_DIR", AppContext.BaseDirectory);

IConfigurationRoot configuration = new ConfigurationBuilder().AddJsonFile(file, optional: false, reloadOnChange: false).Build();

// The sidecars' own output (stdout and stderr, line by line, tagged with their name) goes to the console log.
using ILoggerFactory loggerFactory = LoggerFactory.Create(logging => logging
    .AddSimpleConsole(console => { console.SingleLine = true; console.TimestampFormat = "HH:mm:ss "; })
    .SetMinimumLevel(LogLevel.Information));

var options = new SidecarConfigurationOptions { PostConfigure = sidecar => sidecar.Process.LoggerFactory = loggerFactory };
// Built in: the transports jsonl and jsonrpc, the probe kinds started, output, tcp, http and unix. The application
// registers the rest, one line each, so that the configuration package depends on neither MessagePack nor ASP.NET Core.
options.Transports["msgpack"] = process => process.UseMessagePack();
options.Transports["msgpack-unix"] = process => process.UseMessagePack(SidecarCarrier.UnixSocket);
options.Transports["grpc"] = process => process.UseGrpc();
// A factory names a setting it rejects by the ArgumentException's parameter name: the error then names that key.
options.ProbeKinds["grpc-health"] = probe => GrpcHealthProbe.Serving(
    string.IsNullOrEmpty(probe.Address) ? throw new ArgumentException("is missing", nameof(probe.Address)) : probe.Address,
    probe.Service ?? "");

IReadOnlyList<SidecarDeclaration> declarations;
try
{
    declarations = SidecarConfiguration.Load(configuration.GetSection(SidecarConfiguration.DefaultSectionName), options);
}
catch (SidecarConfigurationException e)
{
    Console.Error.WriteLine($"runner: {file}: {e.Message}");
    return 2;
}
if (declarations.Count == 0)
{
    Console.Error.WriteLine($"runner: {file} declares no sidecars (a \"{SidecarConfiguration.DefaultSectionName}\" section with one section per sidecar).");
    return 2;
}

using var stopRequested = new CancellationTokenSource();
void RequestStop(PosixSignalContext context)
{
    context.Cancel = true; // stop gracefully instead of dying at once
    Console.WriteLine($"runner: {context.Signal}, stopping");
    stopRequested.Cancel();
}
using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, RequestStop);
using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, RequestStop);

var supervisors = new List<SidecarSupervisor>();
int exitCode = 0;
try
{
    foreach (SidecarDeclaration declaration in declarations)
    {
        var supervisor = new SidecarSupervisor(declaration.Options);
        supervisor.StateChanged += (_, change) => Console.WriteLine(Describe(change.Status));
        supervisors.Add(supervisor);
        await supervisor.StartAsync(stopRequested.Token);
    }
    Console.WriteLine($"runner: {supervisors.Count} sidecar(s) started; Ctrl+C to stop");
    await Task.Delay(Timeout.Infinite, stopRequested.Token);
}
catch (OperationCanceledException) when (stopRequested.IsCancellationRequested)
{
}
catch (SidecarException e)
{
    Console.Error.WriteLine($"runner: {supervisors[^1].Name} did not start: {e.Message}");
    exitCode = 1;
}
finally
{
    // Later sidecars may depend on earlier ones: stop in reverse order, each gracefully.
    for (int i = supervisors.Count - 1; i >= 0; i--)
        await supervisors[i].DisposeAsync();
}
Console.WriteLine("runner: stopped");
return exitCode;

static string Describe(SidecarStatus status)
{
    string line = $"{status.Name}: {status.State}";
    if (status.Pid is int pid && status.State is SidecarState.Starting or SidecarState.Ready) line += $" (pid {pid})";
    if (status.State is SidecarState.Restarting) line += $" (attempt {status.Attempt}, at {status.NextRetry:HH:mm:ss.fff})";
    if (status.LastError is { } error && status.State is SidecarState.Restarting or SidecarState.Failed or SidecarState.Unhealthy) line += ": " + error;
    return line;
}
