using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using SidecarKit.Interop;

namespace SidecarKit.Carriers;

/// <summary>
/// Fresh, private places to listen, named <c>sidecarkit-&lt;pid&gt;-&lt;random&gt;</c> so two sidecars never collide and
/// leftovers of a killed run can be told apart from live ones (their pid is gone).
/// </summary>
internal static class PrivateSocketPlace
{
    internal const string Prefix = "sidecarkit-";
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>A new name: the prefix, this pid and 64 random bits.</summary>
    public static string NewName()
        => Prefix + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "-" + RandomNumberGenerator.GetHexString(16, lowercase: true);

    /// <summary>
    /// Creates a new directory only this user can enter (0700) under <c>$XDG_RUNTIME_DIR</c> (a per-user tmpfs) or the
    /// temp directory. Created atomically: an existing path, perhaps planted by someone else, is never reused.
    /// </summary>
    public static string CreateDirectory(ILogger logger)
    {
        string root = Root();
        SweepLeftovers(Directory.EnumerateDirectories(root, Prefix + "*"), Path.GetFileName, path => Directory.Delete(path, recursive: true), logger);
        for (int attempt = 0; ; attempt++)
        {
            string path = Path.Combine(root, NewName());
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(path);
                return path;
            }
            if (Posix.TryCreateNewDirectory(path, OwnerOnly))
            {
                File.SetUnixFileMode(path, OwnerOnly); // whatever the umask did
                return path;
            }
            if (attempt == 10) throw new IOException($"Could not create a fresh directory under '{root}'.");
        }
    }

    private static string Root()
    {
        string? runtime = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        return !string.IsNullOrEmpty(runtime) && Directory.Exists(runtime) ? runtime : Path.GetTempPath();
    }

    /// <summary>Whether a name made by <see cref="NewName"/> belongs to a process that no longer exists.</summary>
    public static bool IsLeftover(string name)
    {
        if (!name.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        int dash = name.IndexOf('-', Prefix.Length);
        return dash > 0
            && int.TryParse(name.AsSpan(Prefix.Length, dash - Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
            && pid != Environment.ProcessId && !Posix.ProcessExists(pid);
    }

    /// <summary>
    /// Removes what SIGKILLed sidecars left behind (they cannot clean up; the next one does). Only places whose pid is
    /// gone are touched, so a sidecar starting right now keeps its own (a reused pid merely postpones the sweep).
    /// </summary>
    /// <param name="paths">Candidate paths.</param>
    /// <param name="placeName">The place's name (made by <see cref="NewName"/>) in a path.</param>
    /// <param name="delete">Removes one path.</param>
    /// <param name="logger">Where removals are logged.</param>
    public static void SweepLeftovers(IEnumerable<string> paths, Func<string, string> placeName, Action<string> delete, ILogger logger)
    {
        try
        {
            foreach (string path in paths)
            {
                if (!IsLeftover(placeName(path))) continue;
                if (TryDelete(() => delete(path)))
                    logger.LogDebug("Removed {Path}, left by a sidecar that is gone.", path);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>Runs a removal; a file already gone or not ours is not an error here.</summary>
    public static bool TryDelete(Action delete)
    {
        try
        {
            delete();
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }
}
