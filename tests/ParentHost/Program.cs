using SidecarKit.Processes;
using SidecarKit.Samples.Demo;
using SidecarKit.Transports.Grpc;
using SidecarKit.Transports.JsonLines;

// A parent for the no-orphans tests. It starts sidecars, prints "pids <p1> <p2> ...", then waits to be killed.
//   ParentHost demo <demo sidecar dll> <count>   N demo sidecars, the first busy in a long call (so a mere "drain on
//                                                stdin EOF" would keep it alive: the parent watchdog must act)
//   ParentHost hung <chaos sidecar dll>          one chaos sidecar that hangs (SIGSTOP) after ready and has no
//                                                watchdog: only the kernel's parent-death signal can end it
//   ParentHost plain <folder>                    two plain programs: one that ignores SIGTERM, one with a child of
//                                                its own (a grandchild of this parent); prints their pids and the
//                                                grandchild's
//   ParentHost command <count> <file> <args...>  N sidecars running <file> <args...> on JSON lines (the Python and
//                                                Node demo sidecars), the first busy in a long call, as for demo
//   ParentHost reattach <demo sidecar dll> <dir> <count>
//                                                N demo sidecars over gRPC on Unix sockets, each started detached or
//                                                reattached to from <dir>/demo<i>.json (SidecarReattach); prints
//                                                "pids <p1> ..." then "reattached <true|false> ...", and each one's
//                                                demo.add(2, 3)
string mode = args[0];
if (mode == "reattach")
{
    var attached = new List<AttachedSidecar>();
    for (int i = 0; i < int.Parse(args[3]); i++)
    {
        var options = new SidecarProcessOptions { Name = $"demo{i}", FileName = "dotnet", ReadyTimeout = TimeSpan.FromSeconds(60), Arguments = { args[1], "--transport", "grpc-unix" } }
            .UseGrpc();
        options.Callbacks.AddContract<IDemoEvents>(new Events());
        options.Environment["SIDECARKIT_TEST_RUN"] = args[2];   // lets the test tell its sidecars from any other
        attached.Add(await SidecarReattach.StartOrReattachAsync(options, Path.Combine(args[2], $"demo{i}.json")));
    }
    var sums = new List<int>();
    foreach (AttachedSidecar sidecar in attached) sums.Add(await sidecar.GetClient<IDemo>().AddAsync(2, 3));
    Console.WriteLine("pids " + string.Join(' ', attached.Select(s => s.ReadyInfo.Pid)));
    Console.WriteLine("reattached " + string.Join(' ', attached.Select(s => s.Reattached ? "true" : "false")));
    Console.WriteLine("sums " + string.Join(' ', sums));
    Console.Out.Flush();
    await Task.Delay(Timeout.Infinite);
}
if (mode == "plain")
{
    string grandchildFile = Path.Combine(args[1], "grandchild.pid");
    var stubborn = new SidecarProcessOptions { Name = "stubborn", FileName = "sh", Arguments = { "-c", "trap '' TERM; while true; do sleep 0.1; done" } };
    var parentOfOne = new SidecarProcessOptions
    {
        Name = "parent-of-one",
        FileName = "sh",
        Arguments = { "-c", $"sh -c 'trap \"\" TERM; while true; do sleep 0.1; done' & echo $! > '{grandchildFile}.tmp'; mv '{grandchildFile}.tmp' '{grandchildFile}'; wait" },
    };
    SidecarProcess first = await SidecarProcess.StartAsync(stubborn);
    SidecarProcess second = await SidecarProcess.StartAsync(parentOfOne);
    while (!File.Exists(grandchildFile)) await Task.Delay(10);
    Console.WriteLine($"pids {first.ProcessId} {second.ProcessId} {File.ReadAllText(grandchildFile).Trim()}");
    Console.Out.Flush();
    await Task.Delay(Timeout.Infinite);
}
var sidecars = new List<SidecarProcess>();
int count = mode is "demo" or "command" ? int.Parse(args[mode == "demo" ? 2 : 1]) : 1;
for (int i = 0; i < count; i++)
{
    var options = new SidecarProcessOptions { Name = $"sidecar{i}", FileName = mode == "command" ? args[2] : "dotnet", ReadyTimeout = TimeSpan.FromSeconds(60) }
        .UseJsonLines();
    if (mode == "command") foreach (string a in args[3..]) options.Arguments.Add(a);
    else options.Arguments.Add(args[1]);
    options.Callbacks.AddContract<IDemoEvents>(new Events());
    if (mode == "hung")
    {
        options.Environment["CHAOS_HANG_AFTER_READY_MS"] = "100";
        options.Environment[SidecarProcess.ParentPidVariable] = null; // no watchdog
    }
    sidecars.Add(await SidecarProcess.StartAsync(options));
}
if (mode is "demo" or "command")
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
