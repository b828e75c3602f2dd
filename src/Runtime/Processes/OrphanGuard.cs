using System.Diagnostics;
using System.Globalization;

namespace SidecarKit.Processes;

/// <summary>
/// Kills what a sidecar left behind when this process dies without stopping it, grandchildren included. The kernel's
/// parent-death signal (<c>setpriv --pdeathsig KILL</c>) reaches only the sidecar itself: a child it forked (a shell's
/// background job, a server's workers) would be re-parented to init and live on. So on Linux every sidecar starts as
/// the leader of its own process group (<c>setsid</c>, same pid), and one small guard process per parent, a shell that
/// outlives it, holds the list of those groups on its stdin: when that pipe closes (this process is gone, however it
/// died) it kills each group still listed. A group leaves the list when its sidecar exits, so a recycled pid is never
/// killed by mistake.
/// </summary>
internal static class OrphanGuard
{
    // Ignores the signals a terminal or a supervisor sends the parent's group (it must outlive the parent, not die
    // with it); reads "+<pgid>" and "-<pgid>" lines; at end of input kills every group left. (dash's kill takes no
    // "--": "-KILL" first makes "-<pgid>" a process group.)
    private const string Script = """
        trap '' INT TERM HUP QUIT
        groups=' '
        while IFS= read -r line; do
          case "$line" in
            +*) groups="$groups${line#+} " ;;
            -*) id=${line#-}; kept=' '; for g in $groups; do [ "$g" = "$id" ] || kept="$kept$g "; done; groups=$kept ;;
          esac
        done
        for g in $groups; do kill -KILL "-$g" 2>/dev/null; done
        """;

    private static readonly Lock s_gate = new();
    private static Process? s_guard;
    private static bool s_unavailable;

    /// <summary>Whether sidecars start in their own process group (Linux, with util-linux's <c>setsid</c>).</summary>
    public static bool IsSupported { get; } = OperatingSystem.IsLinux() && File.Exists(SetSid) && File.Exists(Shell);

    /// <summary>util-linux's <c>setsid</c>: a new session and process group, then exec, same pid.</summary>
    public const string SetSid = "/usr/bin/setsid";

    private const string Shell = "/bin/sh";

    /// <summary>
    /// Lists the process group that <paramref name="process"/> leads with the guard, and when it exits kills what is
    /// left of its group (children it left behind) and takes the group off the list.
    /// </summary>
    public static void Watch(Process process)
    {
        int pid = process.Id;
        Send("+" + pid.ToString(CultureInfo.InvariantCulture));
        _ = ForgetOnExitAsync(process, pid);
    }

    private static async Task ForgetOnExitAsync(Process process, int pid)
    {
        try { await process.WaitForExitAsync().ConfigureAwait(false); }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException) { } // disposed once it exited
        // The leader is reaped; while any member of its group lives, the kernel keeps the group id from being reused,
        // so this reaches only the leftovers (none: ESRCH).
        _ = Interop.Posix.Signal(-pid, Interop.Posix.SIGKILL);
        Send("-" + pid.ToString(CultureInfo.InvariantCulture));
    }

    private static void Send(string line)
    {
        if (!IsSupported) return;
        lock (s_gate)
        {
            if (s_unavailable) return;
            try
            {
                Process guard = s_guard ??= StartGuard();
                guard.StandardInput.WriteLine(line);
                guard.StandardInput.Flush();
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Without the guard, the parent-death signal still ends every sidecar itself; only grandchildren
                // could outlive a parent that dies. Not worth failing a start for.
                s_unavailable = true;
            }
        }
    }

    // setsid --fork: the guard is setsid's child, not this process's (setsid exits at once and init adopts it), so it
    // is not among this process's children (a host that counts them, a tree kill) and needs no reaping; it still
    // reads the pipe this process writes.
    private static Process StartGuard()
    {
        var startInfo = new ProcessStartInfo(SetSid) { RedirectStandardInput = true, UseShellExecute = false };
        foreach (string argument in new[] { "--fork", Shell, "-c", Script }) startInfo.ArgumentList.Add(argument);
        return Process.Start(startInfo) ?? throw new InvalidOperationException("The orphan guard did not start.");
    }
}
