using System.Diagnostics;
using System.Text;

namespace SidecarKit.Processes;

/// <summary>
/// Turns <see cref="SidecarProcessOptions"/> into a <see cref="ProcessStartInfo"/>: environment (inherited or
/// allowlisted, then overridden), <c>${VAR}</c> expansion and binary resolution. No shell is ever involved.
/// </summary>
internal static class StartInfoBuilder
{
    /// <exception cref="SidecarStartException">A variable is unset, or the program cannot be found.</exception>
    public static ProcessStartInfo Build(SidecarProcessOptions options, IReadOnlyDictionary<string, string> parentEnvironment)
        => Build(options, options.FileName, options.FileNameCandidates, options.Arguments, options.WorkingDirectory, parentEnvironment);

    /// <summary>A command run beside the sidecar (prepare, stop): the sidecar's environment, its own program and arguments.</summary>
    public static ProcessStartInfo Build(SidecarProcessOptions options, SidecarCommand command, IReadOnlyDictionary<string, string> parentEnvironment)
        => Build(options, command.FileName, [], command.Arguments, command.WorkingDirectory ?? options.WorkingDirectory, parentEnvironment);

    private static ProcessStartInfo Build(SidecarProcessOptions options, string fileName, IList<string> candidates, IList<string> arguments,
        string? workingDirectory, IReadOnlyDictionary<string, string> parentEnvironment)
    {
        string Expand(string text, string what) => ExpandVariables(text, parentEnvironment, options.Name, what);

        var startInfo = new ProcessStartInfo
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory is null ? "" : Expand(workingDirectory, "the working directory"),
        };
        for (int i = 0; i < arguments.Count; i++)
            startInfo.ArgumentList.Add(Expand(arguments[i], $"argument {i + 1}"));

        IDictionary<string, string?> env = startInfo.Environment;
        if (!options.InheritEnvironment)
        {
            env.Clear();
            foreach (string name in options.AllowedEnvironmentVariables)
                if (parentEnvironment.TryGetValue(name, out string? value)) env[name] = value;
        }
        foreach (KeyValuePair<string, string?> pair in options.Environment)
        {
            if (pair.Value is null) env.Remove(pair.Key);
            else env[pair.Key] = Expand(pair.Value, $"environment variable {pair.Key}");
        }
        startInfo.FileName = fileName.Length > 0 || candidates.Count == 0
            ? Resolve(Expand(fileName, "the file name"), options, parentEnvironment)
            : ResolveFirst(candidates.Select((c, i) => Expand(c, $"file name candidate {i + 1}")).ToList(), options, parentEnvironment);
        if (options.Detached)
        {
            // A session of its own: the signals of this process's terminal or group do not reach it, and nothing ties
            // its life to this process (no parent-death signal, no orphan guard).
            if (OrphanGuard.IsSupported)
            {
                startInfo.ArgumentList.Insert(0, startInfo.FileName);
                startInfo.FileName = OrphanGuard.SetSid;
            }
            env[SidecarProcess.DetachedVariable] = "1";
            env.Remove(SidecarProcess.ParentPidVariable);
        }
        else if (options.KillOnParentDeath && OperatingSystem.IsLinux() && File.Exists(SetPriv))
        {
            // setpriv sets PR_SET_PDEATHSIG and execs the sidecar (same pid). The signal fires when the thread that
            // forked dies, which is why ProcessSpawner forks from a thread that never exits. Before the program,
            // setsid makes it the leader of its own process group (same pid again), which OrphanGuard kills whole
            // when this process dies: the sidecar's own children too.
            startInfo.ArgumentList.Insert(0, startInfo.FileName);
            if (OrphanGuard.IsSupported)
            {
                startInfo.ArgumentList.Insert(0, OrphanGuard.SetSid);
            }
            startInfo.ArgumentList.Insert(0, "--");
            startInfo.ArgumentList.Insert(0, "KILL");
            startInfo.ArgumentList.Insert(0, "--pdeathsig");
            startInfo.FileName = SetPriv;
        }
        return startInfo;
    }

    private const string SetPriv = "/usr/bin/setpriv";

    /// <summary>Whether the process this starts leads its own process group (see <see cref="OrphanGuard"/>).</summary>
    public static bool LeadsOwnGroup(ProcessStartInfo startInfo)
        => startInfo.FileName == SetPriv && startInfo.ArgumentList.Count > 3 && startInfo.ArgumentList[3] == OrphanGuard.SetSid;

    /// <summary>Replaces <c>${NAME}</c> with the variable's value and <c>$$</c> with <c>$</c>.</summary>
    public static string ExpandVariables(string text, IReadOnlyDictionary<string, string> variables, string sidecar, string what)
    {
        if (!text.Contains('$')) return text;
        var sb = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c != '$' || i + 1 >= text.Length) { sb.Append(c); continue; }
            if (text[i + 1] == '$') { sb.Append('$'); i++; continue; }
            if (text[i + 1] != '{') { sb.Append(c); continue; }
            int end = text.IndexOf('}', i + 2);
            if (end < 0) throw new SidecarStartException($"The sidecar '{sidecar}': {what} has an unterminated '${{' (at character {i + 1}; the value is not shown: it may hold a secret).", null, []) { BeforeSpawn = true };
            string name = text[(i + 2)..end];
            if (!variables.TryGetValue(name, out string? value))
                throw new SidecarStartException($"The sidecar '{sidecar}': {what} refers to ${{{name}}}, which is not set in the parent's environment.", null, []) { BeforeSpawn = true };
            sb.Append(value);
            i = end;
        }
        return sb.ToString();
    }

    /// <summary>Explicit path → the variable named in the options → <c>PATH</c>; the error names every place tried.</summary>
    public static string Resolve(string fileName, SidecarProcessOptions options, IReadOnlyDictionary<string, string> parentEnvironment)
    {
        var tried = new List<string>();
        return TryResolve(fileName, options, parentEnvironment, tried)
            ?? throw new SidecarStartException($"The sidecar '{options.Name}' could not be started: '{fileName}' was not found. Tried: {string.Join("; ", tried)}.", null, []) { BeforeSpawn = true };
    }

    /// <summary>The first of <paramref name="candidates"/> that resolves (see <see cref="Resolve"/>); the error names every place tried for each.</summary>
    public static string ResolveFirst(IReadOnlyList<string> candidates, SidecarProcessOptions options, IReadOnlyDictionary<string, string> parentEnvironment)
    {
        var misses = new List<string>();
        foreach (string candidate in candidates)
        {
            var tried = new List<string>();
            if (TryResolve(candidate, options, parentEnvironment, tried) is { } found) return found;
            misses.Add($"'{candidate}' ({string.Join("; ", tried)})");
        }
        throw new SidecarStartException(
            $"The sidecar '{options.Name}' could not be started: none of its {candidates.Count} candidate programs was found. Tried, in order: {string.Join("; ", misses)}.",
            null, []) { BeforeSpawn = true };
    }

    private static string? TryResolve(string fileName, SidecarProcessOptions options, IReadOnlyDictionary<string, string> parentEnvironment, List<string> tried)
    {
        if (fileName.Contains('/') || fileName.Contains('\\'))
        {
            string full = Path.GetFullPath(fileName);
            if (File.Exists(full)) return full;
            tried.Add($"the path {full} (no such file)");
            return null;
        }
        if (options.FileNameVariable is { } variable)
        {
            if (parentEnvironment.TryGetValue(variable, out string? fromVariable) && fromVariable.Length > 0)
            {
                if (File.Exists(fromVariable)) return Path.GetFullPath(fromVariable);
                tried.Add($"${variable} = {fromVariable} (no such file)");
            }
            else tried.Add($"${variable} (not set)");
        }
        string path = parentEnvironment.TryGetValue("PATH", out string? p) ? p : "";
        foreach (string dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, fileName);
            if (File.Exists(candidate)) return candidate;
        }
        tried.Add(path.Length == 0 ? "PATH (empty)" : $"each directory of PATH ({path})");
        return null;
    }

    public static IReadOnlyDictionary<string, string> CurrentEnvironment()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry e in System.Environment.GetEnvironmentVariables())
            result[(string)e.Key] = (string?)e.Value ?? "";
        return result;
    }
}
