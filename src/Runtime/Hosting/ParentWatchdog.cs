using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using SidecarKit.Processes;

namespace SidecarKit.Hosting;

/// <summary>
/// Exits the sidecar when its parent is gone, even if stdin EOF never arrives (a grandchild or another process may hold
/// a copy of the pipe). The parent names itself in <see cref="SidecarProcess.ParentPidVariable"/>; the watchdog checks
/// every 250 ms that a process with that pid still exists.
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
        // Alive while a process with that pid exists (kill with signal 0 only checks). Checking getppid() instead
        // would misfire when the sidecar is started through a wrapper that does not exec.
        return kill(parent, 0) == 0 || Marshal.GetLastPInvokeError() == EPERM;
    }

    private const int EPERM = 1;

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
