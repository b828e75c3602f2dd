using System.Net;
using System.Net.Sockets;
using SidecarKit.Tests.Support;

namespace SidecarKit.Transports.Grpc.Tests;

/// <summary>
/// Issue 11, items 1 and 2 on gRPC: a place the sidecar cannot or must not listen on ends it with exit code 1 and a
/// one-line reason on stderr, never an unhandled exception; on <c>grpc-unix</c> only a socket nobody accepts on is
/// stale, and anything else at <c>--listen</c> is left as it was.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class GrpcListenTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("skt-grpc-listen-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static Task<SidecarRun.Result> ListenAsync(string transport, string listen) => SidecarRun.DemoToExitAsync(["--transport", transport, "--listen", listen]);

    private static void AssertRefused(SidecarRun.Result run, string reason)
    {
        Assert.True(run.ExitCode == 1 && !run.HasStackTrace, run.ToString());
        string line = Assert.Single(run.Stderr);
        Assert.Contains(reason, line);
    }

    [Fact]
    public async Task An_IPv4_mapped_IPv6_address_is_a_one_line_bind_failure()
    {
        AssertRefused(await ListenAsync("grpc", "[::ffff:127.0.0.1]:0"), "::ffff:127.0.0.1");
    }

    [Fact]
    public async Task A_port_in_use_is_a_one_line_bind_failure()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        AssertRefused(await ListenAsync("grpc", $"127.0.0.1:{port}"), port.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task An_empty_regular_file_at_the_unix_path_is_refused_and_left_alone()
    {
        string path = Path.Combine(_directory, "e.sock");
        await File.WriteAllBytesAsync(path, []);
        AssertRefused(await ListenAsync("grpc-unix", path), "not a socket");
        Assert.True(File.Exists(path), "the empty file was removed");
        Assert.Equal(0, new FileInfo(path).Length);
    }

    [Fact]
    public async Task A_unix_socket_someone_accepts_on_is_in_use_and_refused()
    {
        string path = Path.Combine(_directory, "busy.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen();
        AssertRefused(await ListenAsync("grpc-unix", path), "another process is listening there");
    }

    [Fact]
    public async Task A_stale_unix_socket_is_replaced()
    {
        string path = Path.Combine(_directory, "stale.sock");
        StaleSocket.Create(path);
        Assert.True(File.Exists(path), "the stale socket is there");
        var options = GrpcSidecarTests.Options("grpc-unix", "--listen", path);
        await using var sidecar = await SidecarKit.Processes.SidecarProcess.StartAsync(options);
        Assert.Equal(path, sidecar.ReadyInfo.ListenInfo);
        Assert.True(new FileInfo(path).Exists, "the socket is there");
    }
}
