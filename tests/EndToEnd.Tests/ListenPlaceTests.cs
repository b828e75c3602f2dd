using System.Diagnostics;
using System.Net.Sockets;
using SidecarKit.Tests.Support;

namespace SidecarKit.EndToEnd.Tests;

/// <summary>
/// Issue 11, items 1 and 2 on <c>msgpack-unix</c>: what is at <c>--listen</c> decides whether the sidecar starts. Only a
/// socket nobody accepts on is stale and replaced; anything else there (an empty regular file, a FIFO, a symbolic link,
/// a live socket) is refused with exit code 1 and a one-line reason, and left as it was.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class ListenPlaceTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("skt-listen-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static Task<SidecarRun.Result> ListenAsync(string path) => SidecarRun.DemoToExitAsync(["--transport", "msgpack-unix", "--listen", path]);

    private static void AssertRefused(SidecarRun.Result run, string reason)
    {
        Assert.True(run.ExitCode == 1 && !run.HasStackTrace, run.ToString());
        string line = Assert.Single(run.Stderr);
        Assert.Contains(reason, line);
    }

    [Fact]
    public async Task An_empty_regular_file_is_not_a_stale_socket_and_is_left_alone()
    {
        string path = Path.Combine(_directory, "e.sock");
        await File.WriteAllBytesAsync(path, []);
        AssertRefused(await ListenAsync(path), "not a socket");
        Assert.True(File.Exists(path), "the empty file was removed");
        Assert.Equal(0, new FileInfo(path).Length);
    }

    [Fact]
    public async Task A_regular_file_behind_a_pipe_name_is_refused_and_left_alone()
    {
        // msgpack-pipe: on Linux the pipe is the socket file CoreFxPipe_<name> in the temp directory, which .NET would
        // replace without asking.
        string name = "skt-listen-" + Guid.NewGuid().ToString("N")[..12];
        string path = Path.Combine(Path.GetTempPath(), "CoreFxPipe_" + name);
        await File.WriteAllTextAsync(path, "someone's data");
        try
        {
            AssertRefused(await SidecarRun.DemoToExitAsync(["--transport", "msgpack-pipe", "--listen", name]), "is not a socket");
            Assert.Equal("someone's data", await File.ReadAllTextAsync(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task A_fifo_is_refused_and_left_alone()
    {
        string path = Path.Combine(_directory, "f.sock");
        using (Process mkfifo = Process.Start("mkfifo", [path])) await mkfifo.WaitForExitAsync();
        AssertRefused(await ListenAsync(path), "not a socket");
        Assert.True(File.Exists(path), "the FIFO was removed");
    }

    [Fact]
    public async Task A_symbolic_link_is_refused_even_to_a_stale_socket_and_both_are_left_alone()
    {
        string socketPath = Path.Combine(_directory, "stale.sock");
        StaleSocket.Create(socketPath);
        string link = Path.Combine(_directory, "link.sock");
        File.CreateSymbolicLink(link, socketPath);
        AssertRefused(await ListenAsync(link), "not a socket");
        Assert.NotNull(new FileInfo(link).LinkTarget);
        Assert.True(File.Exists(socketPath), "the link's target was removed");
    }

    [Fact]
    public async Task A_socket_someone_accepts_on_is_in_use_and_refused()
    {
        string path = Path.Combine(_directory, "busy.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen();
        AssertRefused(await ListenAsync(path), "another process is listening there");
        Assert.True(File.Exists(path));
    }

    [Fact]
    public async Task A_path_in_a_missing_directory_is_a_one_line_bind_failure()
    {
        AssertRefused(await ListenAsync(Path.Combine(_directory, "no-such-directory", "s.sock")), "Could not listen");
    }
}
