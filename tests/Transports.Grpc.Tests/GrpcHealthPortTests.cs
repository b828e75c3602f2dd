using System.Net;
using System.Net.Sockets;
using Grpc.Health.V1;
using Grpc.Net.Client;
using SidecarKit.Processes;
using SidecarKit.Samples.Demo;
using SidecarKit.Tests.Support;

namespace SidecarKit.Transports.Grpc.Tests;

/// <summary>
/// <c>--health-port</c> (issue 18, item 4): grpc.health.v1 alone, in plaintext, on every address, for kubelet's grpc
/// probes of a sidecar they cannot reach otherwise (a Unix socket shared with the app, or a port behind mTLS).
/// </summary>
public sealed class GrpcHealthPortTests : IDisposable
{
    private readonly TestCertificates _pki = new();

    public void Dispose() => _pki.Dispose();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Theory]
    [InlineData("grpc-unix", false)]
    [InlineData("grpc", true)]
    public async Task The_health_port_answers_serving_in_plaintext_and_refuses_everything_else(string transport, bool mutualTls)
    {
        int port = FreePort();
        SidecarProcessOptions options = mutualTls
            ? GrpcSidecarTests.Options(transport, "--health-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--listen", "0.0.0.0:0",
                "--tls-cert", _pki.Pem("server"), "--tls-key", _pki.Key("server"), "--tls-client-ca", _pki.Pem("ca"))
            : GrpcSidecarTests.Options(transport, "--health-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (mutualTls)
            options.UseGrpc(new GrpcClientOptions { Tls = new GrpcClientTlsOptions { CertificateAuthorities = _pki.Authorities, ClientCertificate = _pki.Client } });
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options);
        Assert.NotEqual($"0.0.0.0:{port}", sidecar.ReadyInfo.ListenInfo);   // the announced endpoint is the contracts'
        Assert.Equal(5, await sidecar.GetClient<IDemo>().AddAsync(2, 3));

        // As kubelet asks: plaintext, no token, to an address of the machine (the pod's), not only loopback.
        using GrpcChannel probe = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
        var health = new Health.HealthClient(probe);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest())).Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving,
            (await health.CheckAsync(new HealthCheckRequest { Service = "sidecarkit.demo.Demo" })).Status);

        // The contracts are not served there, with or without the token.
        await using GrpcSidecarChannel sideDoor = GrpcSidecarChannel.Create($"127.0.0.1:{port}", new GrpcClientOptions());
        var refused = await Assert.ThrowsAsync<GrpcStatusException>(() => sideDoor.GetClient<IDemo>().AddAsync(1, 1));
        Assert.Equal(GrpcStatusCode.Unimplemented, refused.Status);
        Assert.Contains("grpc.health.v1 only", refused.Message);
    }

    [Fact]
    public async Task A_health_port_on_a_transport_without_grpc_health_exits_2()
    {
        SidecarRun.Result run = await SidecarRun.DemoToExitAsync(["--transport", "jsonl", "--health-port", "50099"]);
        Assert.True(run.ExitCode == 2 && !run.HasStackTrace, run.ToString());
        Assert.Contains(run.Stderr, l => l.Contains("--health-port", StringComparison.Ordinal));
        run = await SidecarRun.DemoToExitAsync(["--transport", "grpc", "--health-port", "http"]);
        Assert.True(run.ExitCode == 2 && !run.HasStackTrace, run.ToString());
    }
}
