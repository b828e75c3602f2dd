using SidecarKit.Transports.Grpc;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using SidecarKit.Processes;
using SidecarKit.Samples.Demo;
using SidecarKit.Tests.Support;
using SidecarKit.Transports.JsonLines;
using SidecarKit.Transports.MessagePack;

namespace SidecarKit.EndToEnd.Tests;

/// <summary>
/// A sidecar on the .NET Generic Host (issue 15, point 4; samples/GenericHostSidecar, src/Hosting): its contract's
/// implementation comes from dependency injection with a constructor dependency configured from appsettings.json, a
/// hosted service runs beside it, the host and the sidecar stop together with exit code 0, and stdout carries the
/// protocol only.
/// </summary>
public class GenericHostSidecarTests
{
    private static string DllPath
    {
        get
        {
            string config = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/<Configuration>/net10.0/
            string path = Path.Combine(Repository.Root, "samples", "GenericHostSidecar", "bin", config, "net10.0", "SidecarKit.Samples.GenericHostSidecar.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException("The Generic Host sidecar is not built: " + path);
        }
    }

    private static SidecarProcessOptions Options(string transport, string lifetime, RecordingEvents events, ILoggerFactory logs)
    {
        var options = new SidecarProcessOptions { Name = "generic", FileName = "dotnet", ReadyTimeout = TimeSpan.FromSeconds(60), LoggerFactory = logs };
        if (transport == "msgpack") options.UseMessagePack();
        else if (transport == "grpc") options.UseGrpc();
        else options.UseJsonLines();
        options.Arguments.Add(DllPath);
        options.Arguments.Add("--transport");
        options.Arguments.Add(transport);
        options.Environment["DEMO_LIFETIME"] = lifetime;
        options.Callbacks.AddContract<IDemoEvents>(events);
        return options;
    }

    [Theory]
    [InlineData("jsonl", "call")]
    [InlineData("jsonl", "connection")]
    [InlineData("msgpack", "call")]
    [InlineData("grpc", "call")]
    public async Task The_contract_comes_from_DI_beside_a_hosted_service_and_stops_with_the_host(string transport, string lifetime)
    {
        var logs = new RecordingLoggerFactory();
        var events = new RecordingEvents(confirm: true);
        int exitCode;
        await using (SidecarProcess sidecar = await SidecarProcess.StartAsync(Options(transport, lifetime, events, logs)))
        {
            IDemo demo = sidecar.GetClient<IDemo>();
            Assert.Equal(5, await demo.AddAsync(2, 3));

            // The implementation's constructor got the Greeter (configured from appsettings.json) and the Heartbeat, a
            // hosted service already running when the sidecar reported ready.
            Person first = await demo.EchoAsync(new Person("Ada", 36, ["x"], null, null));
            Assert.Equal("x", first.Tags[0]);
            Assert.Contains("greeting:hello from appsettings.json", first.Tags);
            Assert.Contains("heartbeat:running", first.Tags);

            // Per call: a new instance each time; per connection: the same one.
            Person second = await demo.EchoAsync(new Person("Ada", 36, [], null, null));
            string Instance(Person p) => p.Tags.Single(t => t.StartsWith("instance:", StringComparison.Ordinal));
            if (lifetime == "call") Assert.NotEqual(Instance(first), Instance(second));
            else Assert.Equal(Instance(first), Instance(second));

            // The parent's callback contract, injected into the implementation, goes over the calling connection.
            Assert.Equal(4, await demo.WorkAsync(4));
            Assert.Equal(4, events.Progress.Count);
            Assert.Equal(["commit?"], events.Questions);
            Assert.Equal(Enumerable.Range(1, 5), await demo.CountAsync(5).ToListAsync());

            var stopwatch = Stopwatch.StartNew();
            exitCode = await sidecar.StopAsync();
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(8), $"system.shutdown took {stopwatch.Elapsed}: the host did not stop with the sidecar");
        }
        Assert.Equal(0, exitCode);

        // The hosted service was stopped by the host, gracefully, and its log lines arrived at their level.
        await DemoSidecarTests.Eventually(() => logs.Records.Any(r => r.Message.StartsWith("Heartbeat stopped after ", StringComparison.Ordinal)),
            "the hosted service's stop");
        LogRecord started = Assert.Single(logs.Records, r => r.Message == "Heartbeat started.");
        Assert.Equal(LogLevel.Information, started.Level);
        Assert.Equal("SidecarKit.Sidecar.generic.SidecarKit.Samples.GenericHostSidecar.Heartbeat", started.Category);
        Assert.Contains(logs.Records, r => r.Category == "SidecarKit.Sidecar.generic.SidecarKit.Host" && r.Message.StartsWith("Ready: demo over " + transport, StringComparison.Ordinal));
        // stdout carried the protocol only (anything else would be an invalid frame, logged as a warning), stderr only
        // lines the parent understood (no plain lines at Information under SidecarKit.Sidecar), and nothing went wrong.
        Assert.DoesNotContain(logs.Records, r => r.Level >= LogLevel.Warning);
        Assert.DoesNotContain(logs.Records, r => r.Message.Contains("invalid", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(logs.Records, r => r.Category == "SidecarKit.Sidecar.generic" && r.Level == LogLevel.Information);
        // The host's own status lines are not written.
        Assert.DoesNotContain(logs.Records, r => r.Message.Contains("Application started", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_end_of_stdin_stops_the_host_with_exit_code_0()
    {
        using Process process = Start();
        await WaitForReadyAsync(process);
        process.StandardInput.Close();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(0, process.ExitCode);
        string stderr = await process.StandardError.ReadToEndAsync();
        Assert.Contains("Shutting down (eof).", stderr);
        Assert.Contains("Heartbeat stopped after ", stderr);
    }

    [Fact]
    public async Task SIGTERM_stops_the_host_with_exit_code_0()
    {
        using Process process = Start();
        await WaitForReadyAsync(process);
        Assert.Equal(0, Kill(process.Id, 15));
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(0, process.ExitCode);
        string stderr = await process.StandardError.ReadToEndAsync();
        Assert.Contains("Heartbeat stopped after ", stderr);
    }

    [Theory]
    [InlineData("--help", 0, "Usage: ")]
    [InlineData("--describe", 0, "\"contract\":\"demo\"")]
    [InlineData("--bogus", 2, null)]
    public async Task The_command_line_works_as_on_the_simple_builder(string argument, int expected, string? stdout)
    {
        using Process process = Start(argument);
        process.StandardInput.Close();
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(expected, process.ExitCode);
        if (stdout is not null) Assert.Contains(stdout, await output);
        else Assert.Equal("", await output);
        if (expected == 2) Assert.Contains("Unknown option '--bogus'", await error);
    }

    private static Process Start(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(DllPath);
        foreach (string a in args) info.ArgumentList.Add(a);
        return Process.Start(info)!;
    }

    private static async Task WaitForReadyAsync(Process process)
    {
        // The first line on stdout is lifecycle.ready; it comes once the host started and the sidecar is serving.
        string? line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.NotNull(line);
        Assert.Contains("lifecycle.ready", line);
    }

    [Fact]
    public async Task The_server_certificate_may_come_from_configuration()
    {
        // Sidecar:Tls:* in the host's configuration (here the environment, as a Kubernetes Secret mounted as files and
        // named by two variables would be): the gRPC port serves TLS with it; a plaintext client is refused.
        using var pki = new TestCertificates();
        var options = new SidecarProcessOptions { Name = "generic-tls", FileName = "dotnet", ReadyTimeout = TimeSpan.FromSeconds(60), RequireCallbacks = false }
            .UseGrpc(new GrpcClientOptions { Tls = new GrpcClientTlsOptions { CertificateAuthorities = pki.Authorities } });
        foreach (string a in new[] { DllPath, "--transport", "grpc" }) options.Arguments.Add(a);
        options.Environment["DEMO_LIFETIME"] = "call";
        options.Environment["Sidecar__Tls__CertificatePath"] = pki.Pem("server");
        options.Environment["Sidecar__Tls__KeyPath"] = pki.Key("server");
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options);
        Assert.Equal(5, await sidecar.GetClient<IDemo>().AddAsync(2, 3));
        await using GrpcSidecarChannel plaintext = GrpcSidecarChannel.Create(sidecar.ReadyInfo.ListenInfo!, new GrpcClientOptions());
        var refused = await Assert.ThrowsAsync<GrpcStatusException>(() => plaintext.GetClient<IDemo>().AddAsync(1, 1));
        Assert.Equal(GrpcStatusCode.Unavailable, refused.Status);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
}
