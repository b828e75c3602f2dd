namespace SidecarKit.Tests.Support;

/// <summary>What Linux's /proc tells the tests about a process they did not start themselves.</summary>
public static class ProcessInfo
{
    /// <summary>Whether <paramref name="pid"/> runs: it exists and is not a zombie (exited, not yet reaped).</summary>
    public static bool IsAlive(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2] != "Z"; }
        catch (IOException) { return false; }
    }

    /// <summary>
    /// The value <paramref name="name"/> had in the environment <paramref name="pid"/> was started with, or null. A
    /// sidecar removes its token from its own environment once read, but /proc keeps the one it was started with.
    /// </summary>
    public static string? StartVariable(int pid, string name)
        => File.ReadAllText($"/proc/{pid}/environ").Split('\0')
            .FirstOrDefault(v => v.StartsWith(name + "=", StringComparison.Ordinal))?[(name.Length + 1)..];

    /// <summary>The connection token a SidecarKit parent gave the sidecar <paramref name="pid"/> (SIDECAR_TOKEN).</summary>
    public static string TokenOf(int pid)
        => StartVariable(pid, "SIDECAR_TOKEN") ?? throw new InvalidOperationException($"Process {pid} was started without SIDECAR_TOKEN.");
}
