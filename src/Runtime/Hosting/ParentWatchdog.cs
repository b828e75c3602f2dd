using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using SidecarKit.Processes;

namespace SidecarKit.Hosting;

/// <summary>
/// Exits the sidecar when its parent is gone, even if stdin EOF never arrives (a grandchild or another process may hold
/// a copy of the pipe). The parent names itself in <see cref="SidecarProcess.ParentPidVariable"/>; on Unix a parent
/// that died leaves its child reparented, so <c>getppid()</c> stops matching.
/// </summary>
internal static class ParentWatchdog
{
    private static readonly TimeSpan s_interval = TimeSpan.FromMilliseconds(250);

    public static ITimer? Start(Action onParentGone, ILogger logger)
    {
        string? text = Environment.GetEnvironmentVariable(SidecarProcess.ParentPidVariable);
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int parent) || parent <= 0)
            return null;
        if (!ParentAlive(parent))
        {
            // Already orphaned before we got here (the parent died right after spawning us).
            onParentGone();
            return null;
        }
        return TimeProvider.System.CreateTimer(_ =>
        {
            if (ParentAlive(parent)) return;
            logger.LogWarning("The parent process {Pid} is gone; shutting down.", parent);
            onParentGone();
        }, null, s_interval, s_interval);
    }

    private static bool ParentAlive(int parent)
    {
        if (OperatingSystem.IsWindows())
        {
            try { using var p = System.Diagnostics.Process.GetProcessById(parent); return !p.HasExited; }
            catch (ArgumentException) { return false; }
        }
        return getppid() == parent;
    }

    [DllImport("libc")]
    private static extern int getppid();
}
