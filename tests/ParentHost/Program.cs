using SidecarKit.Processes;
using SidecarKit.Samples.Demo;
using SidecarKit.Transports.JsonLines;

// A parent for the no-orphans test: starts N demo sidecars (the first one busy in a long call, so that a mere
// "drain on stdin EOF" would keep it alive), prints "pids <p1> <p2> ...", then waits to be killed.
// Usage: ParentHost <demo sidecar dll> <count>
string dll = args[0];
int count = int.Parse(args[1]);
var sidecars = new List<SidecarProcess>();
for (int i = 0; i < count; i++)
{
    var options = new SidecarProcessOptions { Name = $"demo{i}", FileName = "dotnet" }.UseJsonLines();
    options.Arguments.Add(dll);
    options.Callbacks.AddContract<IDemoEvents>(new Events());
    sidecars.Add(await SidecarProcess.StartAsync(options));
}
_ = sidecars[0].GetClient<IDemo>().SleepAsync(600_000);
await sidecars[0].PingAsync();
Console.WriteLine("pids " + string.Join(' ', sidecars.Select(s => s.ProcessId)));
Console.Out.Flush();
await Task.Delay(Timeout.Infinite);

sealed class Events : IDemoEvents
{
    public void Progress(string task, int percent) { }
    public Task<bool> ConfirmAsync(string question, CancellationToken ct) => Task.FromResult(true);
}
