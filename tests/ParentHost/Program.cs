using SidecarKit.Processes;
using SidecarKit.Samples.Demo;
using SidecarKit.Transports.JsonLines;

// A parent for the no-orphans tests. It starts sidecars, prints "pids <p1> <p2> ...", then waits to be killed.
//   ParentHost demo <demo sidecar dll> <count>   N demo sidecars, the first busy in a long call (so a mere "drain on
//                                                stdin EOF" would keep it alive: the parent watchdog must act)
//   ParentHost hung <chaos sidecar dll>          one chaos sidecar that hangs (SIGSTOP) after ready and has no
//                                                watchdog: only the kernel's parent-death signal can end it
string mode = args[0];
var sidecars = new List<SidecarProcess>();
int count = mode == "demo" ? int.Parse(args[2]) : 1;
for (int i = 0; i < count; i++)
{
    var options = new SidecarProcessOptions { Name = $"sidecar{i}", FileName = "dotnet" }.UseJsonLines();
    options.Arguments.Add(args[1]);
    options.Callbacks.AddContract<IDemoEvents>(new Events());
    if (mode == "hung")
    {
        options.Environment["CHAOS_HANG_AFTER_READY_MS"] = "100";
        options.Environment[SidecarProcess.ParentPidVariable] = null; // no watchdog
    }
    sidecars.Add(await SidecarProcess.StartAsync(options));
}
if (mode == "demo")
{
    _ = sidecars[0].GetClient<IDemo>().SleepAsync(600_000);
    await sidecars[0].PingAsync();
}
Console.WriteLine("pids " + string.Join(' ', sidecars.Select(s => s.ProcessId)));
Console.Out.Flush();
await Task.Delay(Timeout.Infinite);

sealed class Events : IDemoEvents
{
    public void Progress(string task, int percent) { }
    public Task<bool> ConfirmAsync(string question, CancellationToken ct) => Task.FromResult(true);
}
