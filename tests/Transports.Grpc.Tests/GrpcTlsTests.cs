using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;
using SidecarKit.Processes;
using SidecarKit.Samples.Demo;
using SidecarKit.Tests.Support;

namespace SidecarKit.Transports.Grpc.Tests;

/// <summary>
/// TLS and mTLS on the gRPC transport (issue 18, item 1), with certificates made by the test: the sidecar serves
/// Kestrel's TLS with <c>--tls-cert</c>/<c>--tls-key</c> and requires client certificates with <c>--tls-client-ca</c>;
/// the parent checks the server against a CA or a pinned hash and presents its own certificate. Refusals are clear and
/// logged with who was refused; a public address without TLS is refused at start.
/// </summary>
public sealed class GrpcTlsTests : IDisposable
{
    private readonly TestCertificates _pki = new();

    public void Dispose() => _pki.Dispose();

    private string[] ServerTls(bool mutual = false) => mutual
        ? ["--tls-cert", _pki.Pem("server"), "--tls-key", _pki.Key("server"), "--tls-client-ca", _pki.Pem("ca")]
        : ["--tls-cert", _pki.Pem("server"), "--tls-key", _pki.Key("server")];

    private static SidecarProcessOptions Options(GrpcClientOptions client, IDemoEvents? events, params string[] extra)
    {
        var options = new SidecarProcessOptions { Name = "demo-tls", FileName = "dotnet", ReadyTimeout = TimeSpan.FromSeconds(60) }.UseGrpc(client);
        if (events is not null) options.Callbacks.AddContract(events);
        else options.RequireCallbacks = false;
        foreach (string a in new[] { Repository.DemoSidecarDll, "--transport", "grpc" }.Concat(extra)) options.Arguments.Add(a);
        return options;
    }

    private GrpcClientOptions TrustingTheCa(X509Certificate2? clientCertificate = null)
        => new() { Tls = new GrpcClientTlsOptions { CertificateAuthorities = _pki.Authorities, ClientCertificate = clientCertificate } };

    [Fact]
    public async Task Every_kind_of_call_works_over_tls_with_the_server_checked_against_its_ca()
    {
        var events = new Confirming();
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(Options(TrustingTheCa(), events, ServerTls()));
        IDemo demo = sidecar.GetClient<IDemo>();
        Assert.Equal(5, await demo.AddAsync(2, 3));
        var person = new Person("Ada", 36, ["math"], new SidecarKit.Samples.Demo.Address("St James's Square", "London"), null);
        Assert.Equivalent(person, await demo.EchoAsync(person), strict: true);
        Assert.Equal((GrpcStatusCode.Unknown, -32010), await Failure(() => demo.DivideAsync(1, 0)));
        var items = new List<int>();
        await foreach (int i in demo.CountAsync(100)) items.Add(i);
        Assert.Equal(Enumerable.Range(1, 100), items);
        Assert.Equal(5050, await demo.SumAsync(AsyncItems.Of(Enumerable.Range(1, 100).ToArray())));
        var replies = new List<string>();
        await foreach (string reply in demo.ChatAsync("> ", AsyncItems.Of("a", "b"))) replies.Add(reply);
        Assert.Equal(["> a", "> b"], replies);
        Assert.Equal(3, await demo.WorkAsync(3));   // the callbacks come back over the same TLS port
        Assert.Equal(1 << 16, (await demo.BlobAsync(1 << 16)).Length);
        Assert.Equal("ok", (await sidecar.PingAsync()).Status);
        Assert.Equal(0, await sidecar.StopAsync());
    }

    [Fact]
    public async Task With_mtls_a_client_certificate_of_the_ca_is_accepted_and_none_or_a_strangers_is_refused_and_logged()
    {
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(Options(TrustingTheCa(_pki.Client), new Confirming(), ServerTls(mutual: true)));
        Assert.Equal(5, await sidecar.GetClient<IDemo>().AddAsync(2, 3));
        Assert.Equal(2, await sidecar.GetClient<IDemo>().WorkAsync(2));
        string listenInfo = sidecar.ReadyInfo.ListenInfo!;

        foreach ((X509Certificate2? certificate, string logged) in new[] { ((X509Certificate2?)null, "presented no client certificate"), (_pki.Stranger, "CN=stranger") })
        {
            await using GrpcSidecarChannel refused = GrpcSidecarChannel.Create(listenInfo, TrustingTheCa(certificate));
            (GrpcStatusCode status, _) = await Failure(() => refused.GetClient<IDemo>().AddAsync(1, 1));
            Assert.Equal(GrpcStatusCode.Unavailable, status);
            await GrpcSidecarTests.WaitForAsync(() => Task.FromResult(sidecar.StderrTail.Any(l => l.Contains("Refused a TLS connection from 127.0.0.1", StringComparison.Ordinal)
                && l.Contains(logged, StringComparison.Ordinal))));
        }
        Assert.Equal(9, await sidecar.GetClient<IDemo>().AddAsync(4, 5));   // the refusals took nothing from the parent's connection
    }

    [Fact]
    public async Task A_pinned_server_certificate_is_trusted_and_another_pin_is_refused()
    {
        var pinned = new GrpcClientOptions { Tls = new GrpcClientTlsOptions { ServerCertificateSha256 = GrpcClientTlsOptions.Sha256Of(_pki.Server).ToUpperInvariant() } };
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(Options(pinned, null, ServerTls()));
        Assert.Equal(5, await sidecar.GetClient<IDemo>().AddAsync(2, 3));

        var wrong = new GrpcClientOptions { Tls = new GrpcClientTlsOptions { ServerCertificateSha256 = GrpcClientTlsOptions.Sha256Of(_pki.Client) } };
        await using GrpcSidecarChannel channel = GrpcSidecarChannel.Create(sidecar.ReadyInfo.ListenInfo!, wrong);
        Assert.Equal(GrpcStatusCode.Unavailable, (await Failure(() => channel.GetClient<IDemo>().AddAsync(1, 1))).Status);

        // Nor is the server trusted by the machine's store, or by another CA.
        foreach (GrpcClientTlsOptions tls in new[] { new GrpcClientTlsOptions { Enabled = true }, new GrpcClientTlsOptions { CertificateAuthorities = [_pki.OtherAuthority] } })
        {
            await using GrpcSidecarChannel untrusting = GrpcSidecarChannel.Create(sidecar.ReadyInfo.ListenInfo!, new GrpcClientOptions { Tls = tls });
            Assert.Equal(GrpcStatusCode.Unavailable, (await Failure(() => untrusting.GetClient<IDemo>().AddAsync(1, 1))).Status);
        }
    }

    [Fact]
    public async Task A_plaintext_client_against_a_tls_port_fails_at_once_and_a_tls_client_against_h2c_too()
    {
        await using SidecarProcess tls = await SidecarProcess.StartAsync(Options(TrustingTheCa(), null, ServerTls()));
        await using (GrpcSidecarChannel plaintext = GrpcSidecarChannel.Create(tls.ReadyInfo.ListenInfo!, new GrpcClientOptions()))
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            Assert.Equal(GrpcStatusCode.Unavailable, (await Failure(() => plaintext.GetClient<IDemo>().AddAsync(1, 1))).Status);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"the plaintext call took {clock.Elapsed.TotalSeconds:0.0} s to fail");
        }
        await using SidecarProcess h2c = await SidecarProcess.StartAsync(GrpcSidecarTests.Options("grpc"));
        await using GrpcSidecarChannel wantsTls = GrpcSidecarChannel.Create(h2c.ReadyInfo.ListenInfo!, TrustingTheCa());
        Assert.Equal(GrpcStatusCode.Unavailable, (await Failure(() => wantsTls.GetClient<IDemo>().AddAsync(1, 1))).Status);
    }

    [Fact]
    public async Task The_health_probe_the_factory_client_and_an_attachment_reach_an_mtls_sidecar()
    {
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(Options(TrustingTheCa(_pki.Client), null, ServerTls(mutual: true)));
        string listenInfo = sidecar.ReadyInfo.ListenInfo!;
        var context = new SidecarKit.Probes.SidecarProbeContext("demo-tls", sidecar.ProcessId);
        string token = ProcessInfo.TokenOf(sidecar.ProcessId);

        // The probe over mTLS passes; without a client certificate, or over h2c, it fails (it does not pass by accident).
        Assert.True((await GrpcHealthProbe.Serving(listenInfo, "sidecarkit.demo.Demo", TrustingTheCa(_pki.Client).Tls).CheckAsync(context, default)).Passed);
        Assert.True((await GrpcHealthProbe.Serving("https://" + listenInfo, "", TrustingTheCa(_pki.Client).Tls).CheckAsync(context, default)).Passed);
        Assert.False((await GrpcHealthProbe.Serving(listenInfo, "", TrustingTheCa().Tls).CheckAsync(context, default)).Passed);
        Assert.False((await GrpcHealthProbe.Serving(listenInfo).CheckAsync(context, default)).Passed);
        Assert.Throws<ArgumentException>(() => GrpcHealthProbe.Serving("http://" + listenInfo, "", TrustingTheCa(_pki.Client).Tls));

        // Grpc.Net.ClientFactory by listenInfo, with the TLS options.
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        services.AddSidecarGrpcClient<IDemo>(listenInfo, o =>
        {
            o.Token = token;
            o.Tls = TrustingTheCa(_pki.Client).Tls;
        });
        await using (var provider = Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions.BuildServiceProvider(services))
            Assert.Equal(5, await Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<IDemo>(provider).AddAsync(2, 3));

        // An attachment (a sidecar this parent did not start), over mTLS with the token: ready data read, calls made.
        await using AttachedSidecar attached = await AttachedSidecar.AttachAsync(new SidecarAttachOptions
        {
            Name = "demo-tls",
            Address = listenInfo,
            Client = new GrpcClientOptions { Token = token, Tls = TrustingTheCa(_pki.Client).Tls },
        });
        Assert.Equal(sidecar.ReadyInfo.InstanceId, attached.ReadyInfo.InstanceId);
        Assert.Equal(9, await attached.GetClient<IDemo>().AddAsync(4, 5));
        var refused = await Assert.ThrowsAsync<SidecarStartException>(() => AttachedSidecar.AttachAsync(new SidecarAttachOptions
        {
            Address = listenInfo,
            Client = new GrpcClientOptions { Token = token, Tls = TrustingTheCa().Tls },   // no client certificate
            ReadyTimeout = TimeSpan.FromSeconds(2),
        }));
        Assert.Contains("was not ready within 2 s", refused.Message);
        Assert.Contains("Unavailable", refused.Message);   // the handshake was refused: no health answer came
    }

    [Fact]
    public async Task Attach_options_bound_from_configuration_reach_an_mtls_sidecar_with_pem_files()
    {
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(Options(TrustingTheCa(_pki.Client), null, ServerTls(mutual: true)));
        string token = ProcessInfo.TokenOf(sidecar.ProcessId);
        var settings = new Dictionary<string, string?>
        {
            ["Sidecars:demo:Name"] = "demo",
            ["Sidecars:demo:Address"] = sidecar.ReadyInfo.ListenInfo,
            ["Sidecars:demo:LivenessInterval"] = "00:00:00.500",
            ["Sidecars:demo:Client:Token"] = token,
            ["Sidecars:demo:Client:Tls:CertificateAuthorityPath"] = _pki.Pem("ca"),
            ["Sidecars:demo:Client:Tls:ClientCertificatePath"] = _pki.Pem("client"),
            ["Sidecars:demo:Client:Tls:ClientKeyPath"] = _pki.Key("client"),
        };
        Microsoft.Extensions.Configuration.IConfiguration configuration = new Microsoft.Extensions.Configuration.ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var options = new SidecarAttachOptions();
        configuration.GetSection("Sidecars:demo").Bind(options);
        Assert.Equal(TimeSpan.FromMilliseconds(500), options.LivenessInterval);

        await using AttachedSidecar attached = await AttachedSidecar.AttachAsync(options);
        Assert.Equal(7, await attached.GetClient<IDemo>().AddAsync(3, 4));

        // The same without the client certificate's files: the sidecar refuses the handshake, the attach says so in time.
        options.Client.Tls.ClientCertificatePath = options.Client.Tls.ClientKeyPath = null;
        options.ReadyTimeout = TimeSpan.FromSeconds(2);
        Assert.Contains("Unavailable", (await Assert.ThrowsAsync<SidecarStartException>(() => AttachedSidecar.AttachAsync(options))).Message);
        // A missing CA file fails at once, naming it.
        options.Client.Tls.CertificateAuthorityPath = Path.Combine(_pki.Directory, "missing.pem");
        var missing = await Assert.ThrowsAnyAsync<Exception>(() => AttachedSidecar.AttachAsync(options));
        Assert.Contains("missing.pem", missing.Message);
    }

    [Fact]
    public async Task With_tls_the_sidecar_may_listen_on_every_address()
    {
        GrpcClientOptions client = TrustingTheCa();
        client.Tls.ServerName = "localhost";   // the address it announces (0.0.0.0) is not a name of its certificate
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(Options(client, null, [.. ServerTls(), "--listen", "0.0.0.0:0"]));
        Assert.Matches(@"^0\.0\.0\.0:\d+$", sidecar.ReadyInfo.ListenInfo);
        Assert.Equal(5, await sidecar.GetClient<IDemo>().AddAsync(2, 3));
    }

    [Theory]
    [InlineData(new[] { "--transport", "grpc", "--listen", "0.0.0.0:0" }, 1, "without TLS")]
    [InlineData(new[] { "--transport", "jsonl", "--tls-cert", "{server.pem}", "--tls-key", "{server.key}" }, 2, "does not serve TLS")]
    [InlineData(new[] { "--transport", "grpc", "--tls-key", "{server.key}" }, 2, "go with --tls-cert")]
    [InlineData(new[] { "--transport", "grpc", "--tls-cert", "{client.key}", "--tls-key", "{client.key}" }, 1, "Cannot use the TLS certificate")]
    [InlineData(new[] { "--transport", "grpc", "--tls-cert", "{server.pem}", "--tls-key", "{server.key}", "--tls-client-ca", "{missing.pem}" }, 1, "client certificates' CA")]
    public async Task Tls_settings_that_cannot_work_stop_the_sidecar_with_the_reason(string[] args, int exitCode, string reason)
    {
        string[] resolved = [.. args.Select(a => a.StartsWith('{') ? Path.Combine(_pki.Directory, a.Trim('{', '}')) : a)];
        SidecarRun.Result run = await SidecarRun.DemoToExitAsync(resolved);
        Assert.True(run.ExitCode == exitCode && !run.HasStackTrace, run.ToString());
        Assert.Contains(run.Stderr, l => l.Contains(reason, StringComparison.Ordinal));
    }

    private static async Task<(GrpcStatusCode Status, int Code)> Failure(Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<GrpcStatusException>(call).WaitAsync(TimeSpan.FromSeconds(60));
        return (e.Status, e.Code);
    }

    private sealed class Confirming : IDemoEvents
    {
        void IDemoEvents.Progress(string task, int percent) { }
        public Task<bool> ConfirmAsync(string question, CancellationToken ct) => Task.FromResult(true);
    }
}
