using System.Runtime.InteropServices;
using System.Text.Json;
using SidecarKit.Processes;
using SidecarKit.Samples.Demo;

namespace SidecarKit.Benchmarks;

/// <summary>
/// The footprint beside the spawn times (issue 12): what each build of the demo sidecar needs on disk, and its resident
/// memory (VmRSS from /proc/&lt;pid&gt;/status) right after ready and after one <c>demo.add</c>. Printed after the
/// <see cref="SpawnBenchmarks"/> table, or alone with <c>--spawn-footprint [spawns]</c>.
/// </summary>
internal static class SpawnFootprint
{
    public static async Task PrintAsync(int spawns)
    {
        DemoSidecarBuild[] builds = [DemoSidecarBuild.Jit, DemoSidecarBuild.NativeAot];
        Dictionary<DemoSidecarBuild, (List<long> Ready, List<long> Answered)> rss = builds.ToDictionary(b => b, _ => (new List<long>(), new List<long>()));
        // The builds take turns, so a machine that gets busier part-way affects both alike.
        for (int i = 0; i < spawns; i++)
        {
            foreach (DemoSidecarBuild build in builds)
            {
                await using SidecarProcess sidecar = await build.StartAsync().ConfigureAwait(false);
                rss[build].Ready.Add(VmRssKiB(sidecar.ProcessId));
                await sidecar.GetClient<IDemo>().AddAsync(1, 2).ConfigureAwait(false);
                rss[build].Answered.Add(VmRssKiB(sidecar.ProcessId));
            }
        }

        Console.WriteLine();
        Console.WriteLine($"// * Spawn footprint: the demo sidecar, JIT vs NativeAOT (docs/performance.md, issue 12); VmRSS median [min–max] of {spawns} spawns *");
        Console.WriteLine($"  {"build",-10} {"VmRSS after ready",-30} {"after one demo.add",-30} on disk");
        foreach (DemoSidecarBuild build in builds)
            Console.WriteLine($"  {build.Name,-10} {Spread(rss[build].Ready),-30} {Spread(rss[build].Answered),-30} {OnDisk(build)}");
        double ratio = (double)Median(rss[DemoSidecarBuild.Jit].Ready) / Median(rss[DemoSidecarBuild.NativeAot].Ready);
        Console.WriteLine($"  VmRSS after ready, JIT / NativeAOT: {ratio:0.00}×");
    }

    // VmRSS is what the process has resident now: its own pages plus the shared libraries' pages it has touched.
    private static long VmRssKiB(int pid)
    {
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }
        throw new InvalidOperationException($"/proc/{pid}/status has no VmRSS line.");
    }

    private static string OnDisk(DemoSidecarBuild build)
    {
        string executable = build.Executable;
        string folder = Path.GetDirectoryName(executable)!;
        if (build == DemoSidecarBuild.NativeAot)
        {
            // The publish folder also holds the stripped symbols (.dbg) and copies of referenced projects' .pdb/.xml:
            // none is needed to run it, so the executable alone is what ships.
            string dbg = executable + ".dbg";
            string symbols = File.Exists(dbg) ? $"; symbols {Size(new FileInfo(dbg).Length)} in {Path.GetFileName(dbg)}, not needed to run" : "";
            return $"{Size(new FileInfo(executable).Length)} executable, self-contained{symbols}";
        }
        // The JIT build is its output folder (its assemblies and the NuGet dependencies' ones, and runtimes/ if any)
        // plus the shared runtime(s) its runtimeconfig.json names, installed once per machine. Other subfolders are not
        // part of it: the NativeAOT publish leaves its RID-specific build in linux-x64/ there.
        var dir = new DirectoryInfo(folder);
        FileInfo[] files = [.. dir.GetFiles(), .. dir.GetDirectories("runtimes").SelectMany(d => d.GetFiles("*", SearchOption.AllDirectories))];
        long total = files.Sum(f => f.Length);
        long withoutSymbols = files.Where(f => f.Extension is not (".pdb" or ".xml")).Sum(f => f.Length);
        return $"{Size(total)} in {files.Length} files ({Size(withoutSymbols)} without .pdb/.xml), plus the shared runtime: {SharedFrameworks(executable)}";
    }

    // The frameworks named in <app>.runtimeconfig.json, each sized from the version installed next to the runtime that
    // runs this program (the sidecar rolls forward to the same latest patch).
    private static string SharedFrameworks(string executable)
    {
        string config = executable + ".runtimeconfig.json";
        if (!File.Exists(config)) return "(no runtimeconfig.json)";
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(config));
        JsonElement options = doc.RootElement.GetProperty("runtimeOptions");
        IEnumerable<JsonElement> frameworks = options.TryGetProperty("frameworks", out JsonElement many)
            ? many.EnumerateArray()
            : [options.GetProperty("framework")];
        string shared = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", ".."));
        var parts = new List<string>();
        foreach (JsonElement framework in frameworks)
        {
            string name = framework.GetProperty("name").GetString()!;
            string wanted = framework.GetProperty("version").GetString()!;
            string prefix = string.Join('.', wanted.Split('.').Take(2)) + ".";
            DirectoryInfo? installed = new DirectoryInfo(Path.Combine(shared, name)) is { Exists: true } dir
                ? dir.GetDirectories().Where(d => d.Name.StartsWith(prefix, StringComparison.Ordinal)).OrderByDescending(d => Version.TryParse(d.Name, out Version? v) ? v : new Version()).FirstOrDefault()
                : null;
            parts.Add(installed is null
                ? $"{name} {wanted} (not found)"
                : $"{name} {installed.Name} {Size(installed.GetFiles("*", SearchOption.AllDirectories).Sum(f => f.Length))}");
        }
        return string.Join(", ", parts);
    }

    private static long Median(List<long> values)
    {
        long[] sorted = [.. values.Order()];
        return (sorted[(sorted.Length - 1) / 2] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Spread(List<long> kib) => $"{Size(Median(kib) * 1024)} [{Size(kib.Min() * 1024)}–{Size(kib.Max() * 1024)}]";

    private static string Size(long bytes) => bytes >= 1024 * 1024 ? $"{bytes / 1024.0 / 1024.0:0.0} MiB" : $"{bytes / 1024.0:0} KiB";
}
