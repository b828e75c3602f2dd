using System.Net;
using System.Net.Sockets;
using Grpc.HealthCheck;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SidecarKit.Probes;
using SidecarKit.Processes;
using SidecarKit.Tests.Support;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace SidecarKit.Transports.Grpc.Tests;

/// <summary><see cref="GrpcHealthProbe"/> against the demo sidecar's real grpc.health.v1 service (a process, Kestrel, h2c).</summary>
public class GrpcHealthProbeTests(GrpcSidecarFixture fixture) : IClassFixture<GrpcSidecarFixture>
{
    private static CancellationToken Budget => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    private SidecarProbeContext Context => new(fixture.Sidecar.Name, fixture.Sidecar.ProcessId);

    [Fact]
    public async Task Serving_passes_for_the_server_and_for_a_served_service()
    {
        // The address as a sidecar's listenInfo reads (host:port) and as an http:// URL: h2c either way.
        SidecarProbe server = GrpcHealthProbe.Serving(fixture.Address);
        Assert.Equal($"gRPC health of {fixture.Address} answers SERVING", server.Description);
        Assert.Equal(SidecarProbeResult.Pass, await server.CheckAsync(Context, Budget));
        Assert.Equal(SidecarProbeResult.Pass, await server.CheckAsync(Context, Budget));   // the same channel again

        SidecarProbe demo = GrpcHealthProbe.Serving("http://" + fixture.Address, "sidecarkit.demo.Demo");
        Assert.Equal($"gRPC health of service 'sidecarkit.demo.Demo' at http://{fixture.Address} answers SERVING", demo.Description);
        Assert.Equal(SidecarProbeResult.Pass, await demo.CheckAsync(Context, Budget));
    }

    [Fact]
    public async Task Serving_fails_with_SERVICE_UNKNOWN_for_a_service_not_served()
    {
        SidecarProbeResult result = await GrpcHealthProbe.Serving(fixture.Address, "no.Such").CheckAsync(Context, Budget);
        Assert.False(result.Passed);
        Assert.StartsWith("SERVICE_UNKNOWN", result.Detail);
        Assert.Contains("NOT_FOUND", result.Detail);
    }

    [Fact]
    public async Task Serving_fails_with_the_rpc_status_when_nothing_listens()
    {
        int port = Ports.Free();
        SidecarProbeResult result = await GrpcHealthProbe.Serving($"127.0.0.1:{port}").CheckAsync(Context, Budget);
        Assert.False(result.Passed);
        Assert.StartsWith("UNAVAILABLE", result.Detail);
        Assert.Contains("refused", result.Detail, StringComparison.OrdinalIgnoreCase);   // what the connect saw

        string missing = Path.Combine(Path.GetTempPath(), $"skp-{Guid.NewGuid():N}"[..16] + ".sock");
        Assert.Equal(SidecarProbeResult.Fail($"UNAVAILABLE: {missing} does not exist"), await GrpcHealthProbe.Serving(missing).CheckAsync(Context, Budget));
    }

    [Fact]
    public async Task Serving_reaches_a_sidecar_on_a_Unix_socket()
    {
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(GrpcSidecarTests.Options("grpc-unix"));
        string path = sidecar.ReadyInfo.ListenInfo!;
        var context = new SidecarProbeContext(sidecar.Name, sidecar.ProcessId);
        Assert.Equal(SidecarProbeResult.Pass, await GrpcHealthProbe.Serving(path).CheckAsync(context, Budget));
        Assert.Equal(SidecarProbeResult.Pass, await GrpcHealthProbe.Serving("unix://" + path, "sidecarkit.demo.Demo").CheckAsync(context, Budget));
    }

    [Fact]
    public async Task Serving_fails_with_NOT_SERVING_and_recovers_when_the_server_comes_back()
    {
        // grpc-dotnet's own health service in this process, on a port that is let go and bound again.
        var health = new HealthServiceImpl();
        health.SetStatus("", ServingStatus.Serving);
        health.SetStatus("warming", ServingStatus.NotServing);
        int port;
        var context = new SidecarProbeContext("in-process", Environment.ProcessId);
        SidecarProbe server, warming;
        await using (WebApplication first = await StartHealthServerAsync(health, 0))
        {
            port = new Uri(first.Urls.First()).Port;
            server = GrpcHealthProbe.Serving($"http://127.0.0.1:{port}");
            warming = GrpcHealthProbe.Serving($"127.0.0.1:{port}", "warming");
            Assert.Equal(SidecarProbeResult.Pass, await server.CheckAsync(context, Budget));
            Assert.Equal(SidecarProbeResult.Fail("NOT_SERVING"), await warming.CheckAsync(context, Budget));
            health.SetStatus("warming", ServingStatus.Serving);
            Assert.Equal(SidecarProbeResult.Pass, await warming.CheckAsync(context, Budget));
            await first.StopAsync();
        }

        SidecarProbeResult down = await server.CheckAsync(context, Budget);
        Assert.False(down.Passed);
        Assert.StartsWith("UNAVAILABLE", down.Detail);

        // A probe is long-lived: after a failure to connect it connects afresh at its next check, so the first check
        // after the server is back (a restarted sidecar) passes, with no reconnect backoff in the way.
        await using WebApplication second = await StartHealthServerAsync(health, port);
        Assert.Equal(SidecarProbeResult.Pass, await server.CheckAsync(context, Budget));
        Assert.Equal(SidecarProbeResult.Pass, await warming.CheckAsync(context, Budget));
    }

    private static async Task<WebApplication> StartHealthServerAsync(HealthServiceImpl health, int port)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(health);
        WebApplication app = builder.Build();
        app.MapGrpcService<HealthServiceImpl>();
        await app.StartAsync();
        return app;
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("127.0.0.1")]
    [InlineData("unix:")]
    public void Serving_rejects_an_address_it_cannot_reach(string address)
        => Assert.ThrowsAny<ArgumentException>(() => GrpcHealthProbe.Serving(address));
}

/// <summary>
/// A gRPC server that announces nothing, made ready by its health service and reached at a given address (issue 13):
/// the demo sidecar on a port chosen here stands in for a server of another implementation (its ready marker is not
/// used once a readiness probe is set).
/// </summary>
public class GrpcAttachTests
{
    [Fact]
    public async Task The_generated_proxy_is_attached_at_the_given_address_once_the_health_probe_passes()
    {
        int port = Ports.Free();
        string address = $"127.0.0.1:{port}";

        SidecarProcessOptions options = GrpcSidecarTests.Options("grpc", "--listen", address)
            .UseGrpc(new GrpcClientOptions { Address = address });
        options.Readiness = GrpcHealthProbe.Serving(address, "sidecarkit.demo.Demo");
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options);

        Assert.Null(sidecar.ReadyInfo.ListenInfo); // readiness came from the probe, not from an announcement
        Assert.Equal(5, await sidecar.GetClient<SidecarKit.Samples.Demo.IDemo>().AddAsync(2, 3));
        Assert.Equal(0, await sidecar.StopAsync());
    }
}

/// <summary>
/// The Python grpcio server of samples/Polyglot/python (an independent gRPC implementation serving the exported
/// .proto) as a supervised plain sidecar: a prepare command exports the contract, the health probe decides readiness,
/// and the generated C# proxy calls it (issue 13).
/// </summary>
public sealed class PythonGrpcServerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sidecarkit-grpcio-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_grpcio_server_from_the_exported_proto_is_prepared_probed_and_called_through_the_generated_proxy()
    {
        int port = Ports.Free();
        string address = $"127.0.0.1:{port}";
        string proto = Path.Combine(_dir, "demo.proto");
        string server = Path.Combine(Repository.Root, "samples", "Polyglot", "python", "grpc_demo_server.py");

        var options = new SidecarKit.Supervision.SidecarSupervisorOptions
        {
            Process = new SidecarProcessOptions
            {
                Name = "grpcio-demo",
                FileName = "/usr/bin/python3", // Debian's, which has python3-grpcio (scripts/test.sh installs it)
                Arguments = { server, "--proto", proto, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                Prepare = new SidecarCommand("sh", "-c", $"dotnet '{Repository.DemoSidecarDll}' --describe proto > '{proto}'"),
                Readiness = GrpcHealthProbe.Serving(address, "sidecarkit.demo.Demo"),
                ReadyTimeout = TimeSpan.FromSeconds(60),
            }.UseGrpc(new GrpcClientOptions { Address = address }),
        };
        options.HealthCheck.Probe = GrpcHealthProbe.Serving(address);
        await using var supervisor = new SidecarKit.Supervision.SidecarSupervisor(options);
        await supervisor.StartAsync();

        var demo = supervisor.GetClient<SidecarKit.Samples.Demo.IDemo>();
        Assert.Equal(5, await demo.AddAsync(2, 3));
        Assert.Equal(2.5, await demo.DivideAsync(5, 2));
        var divide = await Assert.ThrowsAsync<GrpcStatusException>(() => demo.DivideAsync(1, 0));
        Assert.Equal((-32010, "division by zero"), (divide.Code, divide.Message));
        var missing = await Assert.ThrowsAsync<GrpcStatusException>(() => demo.SleepAsync(1));
        Assert.Equal(GrpcStatusCode.Unimplemented, missing.Status);
        await supervisor.StopAsync();
        Assert.Equal(SidecarKit.Supervision.SidecarState.Stopped, supervisor.Status.State);
    }
}
