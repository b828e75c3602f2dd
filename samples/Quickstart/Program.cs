using System.Diagnostics;
using Microsoft.Extensions.Logging;
using SidecarKit;
using SidecarKit.Processes;
using SidecarKit.Rpc;
using SidecarKit.Samples.Demo;
using SidecarKit.Samples.Quickstart;
using SidecarKit.Supervision;
using SidecarKit.Transports.Grpc;
using SidecarKit.Transports.JsonLines;
using SidecarKit.Transports.MessagePack;

// The Quickstart: start the demo sidecar and make each kind of call, printing what happened.
// The demo sidecar is built into this program's output by <SidecarProject Include="…" Name="demo" /> in its project
// file (bin/…/sidecars/demo/; publish/sidecars/demo/ when published): UseBundledSidecar finds it there.
// With --sidecar python or --sidecar node, the same calls go through the same generated proxy to the demo sidecar
// written on the Python or Node library instead (samples/Polyglot; docs/polyglot.md).
string language = args is ["--sidecar", string chosen, ..] ? chosen : "csharp";
if (language is not ("csharp" or "python" or "node"))
{
    Console.Error.WriteLine($"--sidecar takes csharp (the default), python or node; got '{language}'.");
    return 2;
}
var options = DemoSidecar(new SidecarProcessOptions
{
    ReadyTimeout = TimeSpan.FromSeconds(30),
    LoggerFactory = new ConsoleLoggerFactory(),
}).UseJsonLines();
options.Callbacks.AddContract<IDemoEvents>(new PrintingEvents());

Console.WriteLine($"Starting the demo sidecar: {string.Join(" ", [Path.GetFileName(options.FileName), .. options.Arguments.Select(Path.GetFileName)])}");
var clock = Stopwatch.StartNew();
await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options);
Console.WriteLine($"  ready in {clock.ElapsedMilliseconds} ms: pid {sidecar.ProcessId}, contracts " +
    string.Join(", ", sidecar.ReadyInfo.Contracts!.Select(c => $"{c.Name}@{c.Fingerprint}")));
IDemo demo = sidecar.GetClient<IDemo>();

Section("1. Unary calls");
Console.WriteLine($"  demo.add(2, 3) = {await demo.AddAsync(2, 3)}");
var ada = new Person("Ada", 36, ["math", "engines"], new Address("12 St James's Sq", "London"), new DateTimeOffset(1815, 12, 10, 0, 0, 0, TimeSpan.Zero));
Person echoed = await demo.EchoAsync(ada);
Console.WriteLine($"  demo.echo(Ada) = {echoed.Name}, {echoed.Age}, [{string.Join(", ", echoed.Tags)}], {echoed.Address?.City}, born {echoed.Born:yyyy-MM-dd}");
Console.WriteLine($"  demo.blob(1000) = {(await demo.BlobAsync(1000)).Length} bytes");

Section("2. An application error");
try
{
    await demo.DivideAsync(1, 0);
}
catch (SidecarRemoteException e)
{
    Console.WriteLine($"  demo.divide(1, 0) failed as expected: code {e.Code}, \"{e.Message}\"");
}

Section("3. A streamed result");
var items = new List<int>();
await foreach (int i in demo.CountAsync(5)) items.Add(i);
Console.WriteLine($"  demo.count(5) streamed: {string.Join(", ", items)}");

Section("4. Cancellation");
using (var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200)))
{
    clock.Restart();
    try
    {
        await demo.SleepAsync(10_000, cts.Token);
    }
    catch (OperationCanceledException)
    {
        Console.WriteLine($"  demo.sleep(10000) cancelled after {clock.ElapsedMilliseconds} ms; the sidecar was told with $/cancelRequest");
    }
}

Section("5. A one-way notification");
demo.Log("hello from the Quickstart");
await sidecar.PingAsync(); // a round trip, so the notification has been handled (its log line appears above)
Console.WriteLine("  demo.log sent (no reply by design)");

Section("6. A callback: the sidecar calls the parent");
Console.WriteLine($"  demo.work(4) = {await demo.WorkAsync(4)}");

Section("7. Health");
SidecarHealth health = await sidecar.PingAsync();
Console.WriteLine($"  system.ping: {health.Status}, uptime {health.UptimeMs} ms, pid {health.Pid}");

Section("8. Graceful stop");
int exitCode = await sidecar.StopAsync();
Console.WriteLine($"  system.shutdown → the sidecar drained and exited with code {exitCode}");

Section("9. Supervised: a crash and the recovery");
var supervised = new SidecarSupervisorOptions { Process = options };
supervised.Restart.InitialDelay = TimeSpan.FromMilliseconds(200);
supervised.HealthCheck.Interval = TimeSpan.FromSeconds(1);
await using (var supervisor = new SidecarSupervisor(supervised))
{
    supervisor.StateChanged += (_, change) => Console.WriteLine($"    state: {change.Previous} → {change.Status.State}" +
        (change.Status.State == SidecarState.Restarting ? $" (attempt {change.Status.Attempt}, next try at +{(change.Status.NextRetry - change.Timestamp)?.TotalMilliseconds:0} ms)" : ""));
    IDemo client = supervisor.GetClient<IDemo>();                      // follows the current instance across restarts
    Console.WriteLine($"  demo.add(20, 22) = {await client.AddAsync(20, 22)} (pid {supervisor.Status.Pid}; the first call started it)");
    Task<string> inFlight = client.SleepAsync(10_000);
    await Task.Delay(200);
    _ = client.ExitAsync(3).ContinueWith(_ => { }, TaskScheduler.Default);   // the sidecar crashes with exit code 3
    try
    {
        await inFlight;
    }
    catch (SidecarCrashedException e)
    {
        Console.WriteLine($"  the call in flight failed: exit code {e.ExitCode}, last stderr line: \"{e.StderrTail.LastOrDefault()}\"");
    }
    Console.WriteLine($"  demo.add(1, 1) = {await client.AddAsync(1, 1)} (pid {supervisor.Status.Pid}, restarts: {supervisor.Status.RestartCount})");
}

if (language != "csharp")
{
    // The Python and Node libraries serve JSON lines and MessagePack-RPC on stdio (docs/polyglot.md).
    Section("10. The same contract over MessagePack-RPC on stdio, supervised");
    await using (var supervisor = new SidecarSupervisor(OnTransport($"demo-{language}-msgpack", o => o.UseMessagePack(), "msgpack")))
    {
        IDemo client = supervisor.GetClient<IDemo>();
        Console.WriteLine($"  demo.add(2, 3) = {await client.AddAsync(2, 3)}, demo.echo(Ada).born = {(await client.EchoAsync(ada)).Born:yyyy-MM-dd} (a timestamp extension)");
        Console.WriteLine($"  demo.sum(1..100) = {await client.SumAsync(OneTo(100))} (client streaming); demo.work(2) = {await client.WorkAsync(2)}");
    }
    Console.WriteLine(Environment.NewLine + $"(Sockets and gRPC: the C# demo sidecar; run without --sidecar {language} to see them.)");
    return 0;
}

Section("10. The same contract over MessagePack-RPC on a Unix socket, supervised");
SidecarSupervisorOptions supervisedSocket = OnTransport("demo-msgpack", o => o.UseMessagePack(SidecarCarrier.UnixSocket), MessagePackExtensions.UnixSocketTransportName);
await using (var supervisor = new SidecarSupervisor(supervisedSocket))
{
    await supervisor.StartAsync();
    IDemo client = supervisor.GetClient<IDemo>();
    string? socketPath = supervisor.Status.ReadyInfo?.ListenInfo;
    Console.WriteLine($"  listening on {socketPath} (a fresh 0700 directory; the parent proved its SIDECAR_TOKEN with $/hello)");
    Console.WriteLine($"  demo.add(2, 3) = {await client.AddAsync(2, 3)}, demo.echo(Ada).born = {(await client.EchoAsync(ada)).Born:yyyy-MM-dd} (a timestamp extension)");
    var counted = new List<int>();
    await foreach (int i in client.CountAsync(3)) counted.Add(i);
    Console.WriteLine($"  demo.count(3) streamed: {string.Join(", ", counted)}; demo.work(2) = {await client.WorkAsync(2)}");
    try { await client.ExitAsync(5); }
    catch (SidecarCrashedException e) { Console.WriteLine($"  demo.exit(5): the sidecar crashed with exit code {e.ExitCode}"); }
    Console.WriteLine($"  demo.add(1, 1) = {await client.AddAsync(1, 1)} on the restarted sidecar, now at {supervisor.Status.ReadyInfo?.ListenInfo}");
    Console.WriteLine($"  the crashed sidecar's socket was removed: {!File.Exists(socketPath)}");
}
Section("11. The same contract as a gRPC service (h2c on loopback TCP), supervised");
SidecarSupervisorOptions supervisedGrpc = OnTransport("demo-grpc", o => o.UseGrpc(), "grpc");
await using (var supervisor = new SidecarSupervisor(supervisedGrpc))
{
    await supervisor.StartAsync();
    IDemo client = supervisor.GetClient<IDemo>();
    Console.WriteLine($"  serving /sidecarkit.demo.Demo/* at {supervisor.Status.ReadyInfo?.ListenInfo} (calls carry authorization: Bearer <SIDECAR_TOKEN>;");
    Console.WriteLine("  any gRPC client can call it from `--describe proto` or by server reflection)");
    Console.WriteLine($"  demo.add(2, 3) = {await client.AddAsync(2, 3)}, demo.echo(Ada).born = {(await client.EchoAsync(ada)).Born:yyyy-MM-dd} (a google.protobuf.Timestamp)");
    var counted = new List<int>();
    await foreach (int i in client.CountAsync(3)) counted.Add(i);
    Console.WriteLine($"  demo.count(3) streamed (server streaming): {string.Join(", ", counted)}");
    Console.WriteLine("  demo.work(2): the callbacks come over the parent's subscription to sidecarkit.callbacks.Callbacks");
    Console.WriteLine($"  demo.work(2) = {await client.WorkAsync(2)}");
    try { await client.DivideAsync(1, 0); }
    catch (GrpcStatusException e) { Console.WriteLine($"  demo.divide(1, 0): status {e.Status}, grpc-message \"{e.Message}\", code {e.Code} (from the trailers)"); }
    using (SidecarCall.WithTimeout(TimeSpan.FromMilliseconds(200)))
    {
        try { await client.SleepAsync(5_000); }
        catch (SidecarTimeoutException) { Console.WriteLine("  demo.sleep(5000) with a 200 ms deadline: DEADLINE_EXCEEDED (the deadline went as grpc-timeout)"); }
    }
    try { await client.ExitAsync(6); }
    catch (SidecarCrashedException e) { Console.WriteLine($"  demo.exit(6): the sidecar crashed with exit code {e.ExitCode}"); }
    Console.WriteLine($"  demo.add(1, 1) = {await client.AddAsync(1, 1)} on the restarted sidecar, now at {supervisor.Status.ReadyInfo?.ListenInfo}");
}
return 0;

// The demo sidecar on another transport, supervised, with the same callbacks (sections 10 and 11).
SidecarSupervisorOptions OnTransport(string name, Func<SidecarProcessOptions, SidecarProcessOptions> use, string transport)
{
    SidecarProcessOptions process = use(DemoSidecar(new SidecarProcessOptions
    {
        Name = name,
        ReadyTimeout = TimeSpan.FromSeconds(30),
        LoggerFactory = new ConsoleLoggerFactory(),
    }));
    process.Arguments.Add("--transport");
    process.Arguments.Add(transport);
    process.Callbacks.AddContract<IDemoEvents>(new PrintingEvents());
    var supervisedOptions = new SidecarSupervisorOptions { Process = process };
    supervisedOptions.Restart.InitialDelay = TimeSpan.FromMilliseconds(200);
    return supervisedOptions;
}

// The demo sidecar in the chosen language: the bundled C# build, or the Python or Node sample from the repository.
SidecarProcessOptions DemoSidecar(SidecarProcessOptions o)
{
    if (language == "csharp") return o.UseBundledSidecar("demo");
    // Debian's Python, which has the msgpack module (scripts/quickstart.sh installs it), when there is one.
    o.FileName = language == "node" ? "node" : File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
    o.Arguments.Add(Path.Combine(PolyglotSamples(), language == "python" ? "python/demo_sidecar.py" : "node/demo-sidecar.mjs"));
    return o;
}

// samples/Polyglot, found above this program (it runs from the repository's build output).
static string PolyglotSamples()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        if (Directory.Exists(Path.Combine(dir.FullName, "samples", "Polyglot"))) return Path.Combine(dir.FullName, "samples", "Polyglot");
    throw new DirectoryNotFoundException("--sidecar python|node runs the samples of the repository: run the Quickstart from a checkout.");
}

static async IAsyncEnumerable<int> OneTo(int n)
{
    for (int i = 1; i <= n; i++)
    {
        await Task.Yield();
        yield return i;
    }
}

static void Section(string title) => Console.WriteLine(Environment.NewLine + title);

namespace SidecarKit.Samples.Quickstart
{
    /// <summary>The parent's side of the callback contract.</summary>
    internal sealed class PrintingEvents : IDemoEvents
    {
        public void Progress(string task, int percent) => Console.WriteLine($"    ← demoEvents.progress({task}, {percent}%)");

        public Task<bool> ConfirmAsync(string question, CancellationToken ct)
        {
            Console.WriteLine($"    ← demoEvents.confirm(\"{question}\") → yes");
            return Task.FromResult(true);
        }
    }

    /// <summary>Prints the sidecar's log lines, indented, so they read as part of the story.</summary>
    internal sealed class ConsoleLoggerFactory : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) => new Logger(categoryName);
        public void AddProvider(ILoggerProvider provider) { }
        public void Dispose() { }

        private sealed class Logger(string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information && category == "SidecarKit.Sidecar";
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel)) Console.WriteLine("    | " + formatter(state, exception));
            }
        }
    }
}
