using System.Runtime.InteropServices;

namespace SidecarKit.Interop;

/// <summary>The few libc calls .NET has no API for. Plain <c>DllImport</c>s: trim- and AOT-safe.</summary>
internal static class Posix
{
    public const int SIGTERM = 15;
    private const int EPERM = 1;
    private const int EEXIST = 17;

    /// <summary>Whether a process with this pid exists (signal 0 only checks; EPERM means it exists but is not ours).</summary>
    public static bool ProcessExists(int pid)
    {
        if (OperatingSystem.IsWindows())
        {
            try { using var p = System.Diagnostics.Process.GetProcessById(pid); return !p.HasExited; }
            catch (ArgumentException) { return false; }
        }
        return kill(pid, 0) == 0 || Marshal.GetLastPInvokeError() == EPERM;
    }

    /// <summary>Sends a signal; false when it could not be sent.</summary>
    public static bool Signal(int pid, int signal) => kill(pid, signal) == 0;

    /// <summary>
    /// Creates a directory that did not exist, atomically, with the given mode (before the umask). False if the path
    /// already exists, so a directory planted in a shared temp folder is never mistaken for ours.
    /// </summary>
    public static bool TryCreateNewDirectory(string path, UnixFileMode mode)
    {
        if (mkdir(path, (uint)mode) == 0) return true;
        int errno = Marshal.GetLastPInvokeError();
        if (errno == EEXIST) return false;
        throw new IOException($"Could not create the directory '{path}': {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi)]
    private static extern int mkdir([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);
}
