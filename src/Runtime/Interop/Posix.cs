using System.Runtime.InteropServices;

namespace SidecarKit.Interop;

/// <summary>The few libc calls .NET has no API for. Plain <c>DllImport</c>s: trim- and AOT-safe.</summary>
internal static class Posix
{
    public const int SIGTERM = 15;
    public const int SIGKILL = 9;
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

    /// <summary>
    /// Whether the process runs: it exists and, on Linux, is not a zombie waiting to be reaped (its exit is final, but
    /// signal 0 still reaches it).
    /// </summary>
    public static bool IsRunning(int pid)
    {
        if (!ProcessExists(pid)) return false;
        if (!OperatingSystem.IsLinux()) return true;
        try
        {
            // "<pid> (<comm>) <state> ...": the state follows the last ')' (comm may hold anything).
            string stat = File.ReadAllText($"/proc/{pid.ToString(System.Globalization.CultureInfo.InvariantCulture)}/stat");
            int close = stat.LastIndexOf(')');
            return close < 0 || close + 2 >= stat.Length || stat[close + 2] is not ('Z' or 'X');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return ProcessExists(pid); }
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

    /// <summary>What a path names, without following a symbolic link there.</summary>
    public enum FileKind
    {
        /// <summary>Nothing is there.</summary>
        None,
        /// <summary>A Unix domain socket.</summary>
        Socket,
        /// <summary>A directory.</summary>
        Directory,
        /// <summary>Anything else: a regular file, a FIFO, a device, a symbolic link.</summary>
        Other,
    }

    /// <summary>
    /// What <paramref name="path"/> itself is (<c>lstat</c>: a symbolic link is <see cref="FileKind.Other"/>, whatever
    /// it points to). .NET has no API for a file's type beyond "directory or not".
    /// </summary>
    public static FileKind GetFileKind(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            // Windows has no lstat; its AF_UNIX socket files are reparse points, which is as close as it can tell.
            if (!Path.Exists(path)) return FileKind.None;
            FileAttributes attributes = File.GetAttributes(path);
            return (attributes & FileAttributes.Directory) != 0 ? FileKind.Directory
                : (attributes & FileAttributes.ReparsePoint) != 0 ? FileKind.Socket : FileKind.Other;
        }
        if (SystemNative_LStat(path, out FileStatus status) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno is ENOENT or ENOTDIR) return FileKind.None;
            throw new IOException($"Could not read what '{path}' is: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");
        }
        return (status.Mode & S_IFMT) switch
        {
            S_IFSOCK => FileKind.Socket,
            S_IFDIR => FileKind.Directory,
            _ => FileKind.Other,
        };
    }

    /// <summary>
    /// Whether stdin is a pipe or a socket (what a parent process gives its child), as opposed to a terminal,
    /// <c>/dev/null</c> or a file. Always true on Windows, where this is not checked.
    /// </summary>
    public static bool IsStandardInputPipeOrSocket()
    {
        if (OperatingSystem.IsWindows()) return true;
        using var stdin = new Microsoft.Win32.SafeHandles.SafeFileHandle(0, ownsHandle: false);
        if (SystemNative_FStat(stdin, out FileStatus status) != 0) return false;   // closed: nothing to watch
        return (status.Mode & S_IFMT) is S_IFIFO or S_IFSOCK;
    }

    private const int ENOENT = 2;
    private const int ENOTDIR = 20;
    private const int S_IFMT = 0xF000, S_IFSOCK = 0xC000, S_IFDIR = 0x4000, S_IFIFO = 0x1000;

    // The runtime's own lstat (System.Native, shipped with every .NET and linked into NativeAOT apps): libc's struct
    // stat differs by architecture and libc, and older glibc exports no lstat symbol at all. Its FileStatus starts with
    // Flags and Mode (the S_IF* type bits as on Linux); the rest is not read, and the size leaves room for growth.
    [StructLayout(LayoutKind.Sequential, Size = 256)]
    private struct FileStatus
    {
        public int Flags;
        public int Mode;
    }

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_LStat", SetLastError = true)]
    private static extern int SystemNative_LStat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, out FileStatus output);

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_FStat", SetLastError = true)]
    private static extern int SystemNative_FStat(SafeHandle fd, out FileStatus output);

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi)]
    private static extern int mkdir([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);
}
