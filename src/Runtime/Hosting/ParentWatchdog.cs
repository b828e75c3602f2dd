using System.Globalization;
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

    // Alive while a process with that pid exists. Checking getppid() instead would misfire when the sidecar is started
    // through a wrapper that does not exec.
    private static bool ParentAlive(int parent) => Interop.Posix.ProcessExists(parent);
}
