using SidecarKit.Processes;
using SidecarKit.Samples.Demo;
using SidecarKit.Transports.JsonLines;

namespace SidecarKit.EndToEnd.Tests;

/// <summary>Starts the real demo sidecar (samples/Demo/Sidecar) as a child process.</summary>
internal static class DemoSidecar
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string DllPath
    {
        get
        {
            string config = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/<Configuration>/net10.0/
            string path = Path.Combine(RepoRoot, "samples", "Demo", "Sidecar", "bin", config, "net10.0", "SidecarKit.Samples.Demo.Sidecar.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException("The demo sidecar is not built: " + path);
        }
    }

    public static SidecarProcessOptions Options(IDemoEvents? events = null, params string[] extraArgs)
    {
        var options = new SidecarProcessOptions { Name = "demo", FileName = "dotnet", ReadyTimeout = TimeSpan.FromSeconds(60) }.UseJsonLines();
        options.Arguments.Add(DllPath);
        foreach (string a in extraArgs) options.Arguments.Add(a);
        options.Callbacks.AddContract<IDemoEvents>(events ?? new RecordingEvents(confirm: true));
        return options;
    }

    public static Task<SidecarProcess> StartAsync(IDemoEvents? events = null) => SidecarProcess.StartAsync(Options(events));

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Toolkit.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("Toolkit.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>The parent's side of the callback contract, recording what the sidecar sent.</summary>
internal sealed class RecordingEvents(bool confirm) : IDemoEvents
{
    public readonly List<(string Task, int Percent)> Progress = [];
    public readonly List<string> Questions = [];

    void IDemoEvents.Progress(string task, int percent) { lock (Progress) Progress.Add((task, percent)); }

    public Task<bool> ConfirmAsync(string question, CancellationToken ct)
    {
        lock (Questions) Questions.Add(question);
        return Task.FromResult(confirm);
    }
}
