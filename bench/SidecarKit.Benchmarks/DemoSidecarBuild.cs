using SidecarKit.Processes;
using SidecarKit.Transports.JsonLines;

namespace SidecarKit.Benchmarks;

/// <summary>
/// One build of the demo sidecar that the spawn benchmarks start: the JIT build next to this program, or the NativeAOT
/// build that bench/run.sh publishes. Both are started by their executable's path (the JIT build's apphost, not
/// <c>dotnet x.dll</c>), so the comparison is between the two programs a user could ship, not between launchers.
/// </summary>
internal sealed class DemoSidecarBuild
{
    /// <summary>Where bench/run.sh publishes the NativeAOT build, under the repository root; the variable overrides it.</summary>
    public const string NativeAotDirectory = "BenchmarkDotNet.Artifacts/aot-demo-sidecar";
    public const string NativeAotVariable = "SIDECARKIT_AOT_DEMO_SIDECAR";
    private const string ExecutableName = "SidecarKit.Samples.Demo.Sidecar";

    private readonly Func<string> _locate;

    private DemoSidecarBuild(string name, Func<string> locate) => (Name, _locate) = (name, locate);

    public static DemoSidecarBuild Jit { get; } = new("JIT", LocateAppHost);

    public static DemoSidecarBuild NativeAot { get; } = new("NativeAOT", LocateNativeAot);

    public string Name { get; }

    /// <summary>The executable's path; throws with what to run when it is not there.</summary>
    public string Executable => _locate();

    /// <summary>Starts it on JSON lines over stdio and returns when it is ready (<c>SidecarProcess.StartAsync</c>).</summary>
    public Task<SidecarProcess> StartAsync()
    {
        var options = new SidecarProcessOptions
        {
            Name = "demo-" + Name,
            FileName = Executable,
            ReadyTimeout = TimeSpan.FromSeconds(30),
            RequireCallbacks = false, // the demo announces demoEvents; no benchmark calls a method that uses it
        }.UseJsonLines();
        return SidecarProcess.StartAsync(options);
    }

    private static string LocateAppHost()
    {
        string appHost = Path.Combine(Path.GetDirectoryName(ChildPaths.DemoSidecar)!, ExecutableName);
        return File.Exists(appHost)
            ? appHost
            : throw new FileNotFoundException($"The demo sidecar's apphost {appHost} is missing (built with UseAppHost=false?).");
    }

    private static string LocateNativeAot()
    {
        if (Environment.GetEnvironmentVariable(NativeAotVariable) is { Length: > 0 } given)
        {
            return File.Exists(given)
                ? given
                : throw new FileNotFoundException($"{NativeAotVariable}={given}: no such file. It should name the NativeAOT-published demo sidecar executable.");
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, NativeAotDirectory, ExecutableName);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException(
            $"The NativeAOT demo sidecar is not published. bash bench/run.sh publishes it; by hand, at the repository root: " +
            $"dotnet publish samples/Demo/Sidecar -c Release -r linux-x64 -p:PublishAot=true -o {NativeAotDirectory} " +
            $"(or set {NativeAotVariable} to the executable).");
    }
}
