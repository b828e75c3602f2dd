using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using SidecarKit.Configuration;
using SidecarKit.Extensions.Hosting;
using SidecarKit.Supervision;
using SidecarKit.Tests.Support;

namespace SidecarKit.EndToEnd.Tests;

/// <summary>Sidecars declared in configuration (issue 13 point 6): under a real host, without one, and by the runner sample.</summary>
public class ConfigurationTests
{
    private const string Heartbeat = "while true; do echo alive; sleep 1; done";


    // A shell heartbeat whose first line proves ${VAR} expansion in Env, and a Python HTTP server on a free port.
    private static Dictionary<string, string?> TwoSidecars(int port) => new()
    {
        ["Sidecars:heartbeat:Command"] = "sh",
        ["Sidecars:heartbeat:Args:0"] = "-c",
        ["Sidecars:heartbeat:Args:1"] = "echo \"hello $GREETING\"; " + Heartbeat,
        ["Sidecars:heartbeat:Env:GREETING"] = "from-${SIDECARKIT_CONFIG_TEST}",
        ["Sidecars:heartbeat:Readiness:Kind"] = "output",
        ["Sidecars:heartbeat:Readiness:Pattern"] = "^hello from-configured$",
        ["Sidecars:heartbeat:Liveness:Kind"] = "output",
        ["Sidecars:heartbeat:Liveness:Pattern"] = "^alive$",
        ["Sidecars:heartbeat:Liveness:Interval"] = "00:00:05",
        ["Sidecars:heartbeat:Restart:Policy"] = "on-failure",
        ["Sidecars:web:Command"] = "python3",
        ["Sidecars:web:Args:0"] = "-m",
        ["Sidecars:web:Args:1"] = "http.server",
        ["Sidecars:web:Args:2"] = port.ToString(),
        ["Sidecars:web:Args:3"] = "--bind",
        ["Sidecars:web:Args:4"] = "127.0.0.1",
        ["Sidecars:web:Readiness:Kind"] = "http",
        ["Sidecars:web:Readiness:Url"] = $"http://127.0.0.1:{port}/",
        ["Sidecars:web:Readiness:Period"] = "00:00:00.200",
        ["Sidecars:web:Liveness:Kind"] = "http",
        ["Sidecars:web:Liveness:Url"] = $"http://127.0.0.1:{port}/",
        ["Sidecars:web:Stop:Signal"] = "SIGINT",
        ["Sidecars:web:ShutdownTimeout"] = "00:00:05",
    };

    [Fact]
    public async Task Sidecars_declared_in_configuration_run_under_a_host_become_ready_and_report_healthy()
    {
        Environment.SetEnvironmentVariable("SIDECARKIT_CONFIG_TEST", "configured");
        int port = Ports.Free();
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(TwoSidecars(port)).Build();
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Services.AddSidecarsFromConfiguration(configuration.GetSection("Sidecars"));
        builder.Services.AddHealthChecks().AddSidecarHealthChecks();
        using IHost host = builder.Build();

        await host.StartAsync();
        SidecarRegistry registry = host.Services.GetRequiredService<SidecarRegistry>();
        Assert.Equal(["heartbeat", "web"], registry.Registrations.Select(r => r.Name));
        SidecarStatus heartbeat = registry.Get("heartbeat").Status, web = registry.Get("web").Status;
        Assert.Equal(SidecarState.Ready, heartbeat.State); // its readiness line carried the expanded variable
        Assert.Equal(SidecarState.Ready, web.State);
        Assert.Contains("http.server", File.ReadAllText($"/proc/{web.Pid}/cmdline"));
        using (var http = new HttpClient())
            Assert.True((await http.GetAsync($"http://127.0.0.1:{port}/")).IsSuccessStatusCode);

        HealthReport health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Healthy, health.Entries["sidecar:heartbeat"].Status);
        Assert.Equal(HealthStatus.Healthy, health.Entries["sidecar:web"].Status);
        Assert.Equal(HealthStatus.Healthy, health.Status);

        await host.StopAsync();
        Assert.False(Alive(heartbeat.Pid!.Value));
        Assert.False(Alive(web.Pid!.Value));
        health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Unhealthy, health.Entries["sidecar:web"].Status);
    }

    [Fact]
    public async Task A_declared_sidecar_with_a_transport_serves_a_typed_client_and_is_pinged()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sidecars:demo:Command"] = "dotnet",
            ["Sidecars:demo:Args:0"] = DemoSidecar.DllPath,
            ["Sidecars:demo:Transport"] = "JSONL", // names ignore case
            ["Sidecars:demo:ReadyTimeout"] = "00:01:00",
            ["Sidecars:demo:Liveness:Interval"] = "00:00:00.200",
        }).Build();
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        var events = new RecordingEvents(confirm: true);
        builder.Services.AddSidecarsFromConfiguration(configuration.GetSection("Sidecars"),
            options => options.PostConfigure = sidecar => sidecar.Process.Callbacks.AddContract<Samples.Demo.IDemoEvents>(events));
        builder.Services.AddSidecar<Samples.Demo.IDemo>("demo"); // a typed client of the declared sidecar
        builder.Services.AddHealthChecks().AddSidecarHealthChecks();
        using IHost host = builder.Build();

        await host.StartAsync();
        try
        {
            Assert.Equal(5, await host.Services.GetRequiredService<Samples.Demo.IDemo>().AddAsync(2, 3));
            SidecarSupervisor supervisor = host.Services.GetRequiredService<SidecarRegistry>().Get("demo");
            Assert.Equal("jsonl", supervisor.Status.ReadyInfo?.Transport); // it announced itself: the protocol was set up
            Assert.Equal(SidecarState.Ready, supervisor.Status.State);
            HealthReport health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
            Assert.Equal(HealthStatus.Healthy, health.Entries["sidecar:demo"].Status);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    // A valid "a" (first by name) and a "x" made wrong by the overrides: the error names the exact key, and "a" is not
    // started (every declaration is validated before any sidecar starts).
    [Theory]
    [InlineData("Sidecars:x:Readiness:Kind", "unknown probe kind 'htp' (known: started, output, tcp, http, unix)", "Readiness:Kind=htp")]
    [InlineData("Sidecars:x:Liveness:Interval", "must be positive (was -00:00:01)", "Liveness:Interval=-00:00:01")]
    [InlineData("Sidecars:x:Command", "is missing (or give Candidates)", "Command=")]
    [InlineData("Sidecars:x:Transport", "unknown transport 'carrier-pigeon' (known: jsonl, jsonrpc", "Transport=carrier-pigeon")]
    [InlineData("Sidecars:x:Stop:Signal", "unknown signal 'SIGFOO'", "Stop:Signal=SIGFOO")]
    [InlineData("Sidecars:x:Stop", "give one of Signal, CloseStdin or Command", "Stop:Signal=SIGINT", "Stop:CloseStdin=true")]
    [InlineData("Sidecars:x:Restart:Policy", "unknown restart policy 'sometimes'", "Restart:Policy=sometimes")]
    [InlineData("Sidecars:x:Restart:Jitter", "must be between 0 and 1", "Restart:Jitter=2")]
    [InlineData("Sidecars:x:Readiness:Port", "is not a whole number", "Readiness:Kind=tcp", "Readiness:Port=eighty")]
    [InlineData("Sidecars:x:Readiness:Port", "is missing", "Readiness:Kind=tcp")]
    [InlineData("Sidecars:x:Readiness:Url", "'localhost:80' is not an absolute http or https URL", "Readiness:Kind=http", "Readiness:Url=localhost:80")]
    [InlineData("Sidecars:x:Readiness:Pattern", "'(' is not a valid regular expression", "Readiness:Pattern=(")]
    [InlineData("Sidecars:x:Readiness:Stream", "unknown stream 'stdin'", "Readiness:Stream=stdin")]
    [InlineData("Sidecars:x:Liveness:FailureThreshold", "must be at least 1", "Liveness:FailureThreshold=0")]
    [InlineData("Sidecars:x:ReadyTimeout", "is not a duration", "ReadyTimeout=soon")]
    [InlineData("Sidecars:x:Readyness", "unknown key (known: Command", "Readyness:Kind=http")]
    [InlineData("Sidecars:x:Args", "is a list", "Args=-c echo")]
    [InlineData("Sidecars:x:Prepare:Command", "is missing", "Prepare:Timeout=00:01:00")]
    public async Task A_wrong_declaration_fails_the_host_start_naming_its_key(string key, string message, params string[] overrides)
    {
        var values = new Dictionary<string, string?>
        {
            ["Sidecars:a:Command"] = "sh",
            ["Sidecars:a:Args:0"] = "-c",
            ["Sidecars:a:Args:1"] = Heartbeat,
            ["Sidecars:x:Command"] = "sh",
            ["Sidecars:x:Args:0"] = "-c",
            ["Sidecars:x:Args:1"] = Heartbeat,
            ["Sidecars:x:Readiness:Kind"] = "output",
            ["Sidecars:x:Readiness:Pattern"] = "alive",
        };
        foreach (string o in overrides)
        {
            if (o.StartsWith("Args=", StringComparison.Ordinal)) { values.Remove("Sidecars:x:Args:0"); values.Remove("Sidecars:x:Args:1"); }
            values["Sidecars:x:" + o[..o.IndexOf('=')]] = o[(o.IndexOf('=') + 1)..];
        }
        IConfigurationSection sidecars = new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection("Sidecars");

        // Without a host: the same model, validation and translation.
        var load = Assert.Throws<SidecarConfigurationException>(() => SidecarConfiguration.Load(sidecars));
        Assert.Equal(key, load.Key);
        Assert.Contains(key + ": " + message, load.Message);

        // Under a host: at start, before any sidecar starts.
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Services.AddSidecarsFromConfiguration(sidecars);
        using IHost host = builder.Build();
        var start = await Assert.ThrowsAsync<SidecarConfigurationException>(() => host.StartAsync());
        Assert.Equal(key, start.Key);
        Assert.Contains(key + ": " + message, start.Message);
        SidecarSupervisor a = host.Services.GetRequiredService<SidecarRegistry>().Get("a");
        Assert.Equal(SidecarState.Stopped, a.Status.State);
        Assert.Null(a.Status.Pid);
    }

    [Fact]
    public async Task The_runner_samples_file_runs_all_four_sidecars_under_a_host_and_the_demo_serves_a_typed_client()
    {
        // The sample file as it is, but on free ports and with the runner's folder (the bundled demo sidecar, the
        // grpcio server script) where it expects it.
        string config = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        string runnerDir = Path.Combine(DemoSidecar.RepoRoot, "samples", "Runner", "bin", config, "net10.0") + "/";
        Environment.SetEnvironmentVariable("SIDECARKIT_RUNNER_DIR", runnerDir);
        string json = File.ReadAllText(Path.Combine(DemoSidecar.RepoRoot, "samples", "Runner", "sidecars.json"))
            .Replace("8765", Ports.Free().ToString()).Replace("8766", Ports.Free().ToString());
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json));
        IConfiguration configuration = new ConfigurationBuilder().AddJsonStream(stream).Build();

        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Services.AddSidecarsFromConfiguration(configuration.GetSection("Sidecars"), options =>
            options.ProbeKinds["grpc-health"] = probe => SidecarKit.Transports.Grpc.GrpcHealthProbe.Serving(probe.Address!, probe.Service ?? ""));
        builder.Services.AddSidecar<SidecarKit.Samples.Demo.IDemo>("demo");
        builder.Services.AddHealthChecks().AddSidecarHealthChecks();
        using IHost host = builder.Build();
        await host.StartAsync();
        try
        {
            SidecarRegistry registry = host.Services.GetRequiredService<SidecarRegistry>();
            Assert.Equal(["demo", "grpcio", "heartbeat", "web"], registry.Registrations.Select(r => r.Name));
            Assert.All(registry.Registrations, r => Assert.Equal(SidecarState.Ready, registry.Get(r.Name).Status.State));
            Assert.Equal(5, await host.Services.GetRequiredService<SidecarKit.Samples.Demo.IDemo>().AddAsync(2, 3));
            HealthReport health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
            Assert.Equal(HealthStatus.Healthy, health.Status);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public void The_runner_samples_declarations_are_valid()
    {
        string file = Path.Combine(DemoSidecar.RepoRoot, "samples", "Runner", "sidecars.json");
        IConfiguration configuration = new ConfigurationBuilder().AddJsonFile(file).Build();
        // The probe kind the runner registers for its grpcio sidecar (samples/Runner/Program.cs).
        var options = new SidecarConfigurationOptions();
        options.ProbeKinds["grpc-health"] = probe => SidecarKit.Transports.Grpc.GrpcHealthProbe.Serving(probe.Address!, probe.Service ?? "");
        IReadOnlyList<SidecarDeclaration> sidecars = SidecarConfiguration.Load(configuration.GetSection(SidecarConfiguration.DefaultSectionName), options);
        Assert.Equal(["demo", "grpcio", "heartbeat", "web"], sidecars.Select(s => s.Name));
        Assert.NotNull(sidecars[0].Options.Process.Protocol); // the C# demo sidecar speaks JSON lines
        SidecarDeclaration grpcio = sidecars[1];
        Assert.True(grpcio.Options.Process.IsPlain);
        Assert.Equal("sh", grpcio.Options.Process.Prepare?.FileName);
        Assert.Equal("gRPC health of service 'sidecarkit.demo.Demo' at 127.0.0.1:8766 answers SERVING", grpcio.Options.Process.Readiness?.Description);
        SidecarDeclaration heartbeat = sidecars[2];
        Assert.Equal("sh", heartbeat.Options.Process.FileName);
        Assert.Equal(["-c", Heartbeat], heartbeat.Options.Process.Arguments);
        Assert.Contains("'^alive$'", heartbeat.Options.Process.Readiness?.Description);
        Assert.Equal(TimeSpan.FromSeconds(5), heartbeat.Options.HealthCheck.Interval);
        Assert.NotNull(heartbeat.Options.HealthCheck.Probe);
        Assert.Equal(RestartPolicy.OnFailure, heartbeat.Options.Restart.Policy);
        Assert.Equal(TimeSpan.FromSeconds(1), heartbeat.Options.Restart.InitialDelay);
        SidecarDeclaration web = sidecars[3];
        Assert.Equal("SIGINT", web.Options.Process.Stop?.ToString());
        Assert.Equal("1", web.Options.Process.Environment["PYTHONUNBUFFERED"]);
    }

    [Fact]
    public void The_example_in_the_lifecycle_docs_is_valid()
    {
        string doc = File.ReadAllText(Path.Combine(DemoSidecar.RepoRoot, "docs", "lifecycle.md"));
        int example = doc.IndexOf("### An example", StringComparison.Ordinal);
        int start = doc.IndexOf("```json\n", example, StringComparison.Ordinal) + "```json\n".Length;
        string json = doc[start..doc.IndexOf("```", start, StringComparison.Ordinal)];
        IConfiguration configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))).Build();
        IReadOnlyList<SidecarDeclaration> sidecars = SidecarConfiguration.Load(configuration.GetSection("Sidecars"));
        Assert.Equal(["demo", "heartbeat", "web"], sidecars.Select(s => s.Name)); // ollama is switched off
        Assert.NotNull(sidecars[0].Options.Process.Protocol);
        Assert.Equal(RestartPolicy.Always, sidecars[0].Options.Restart.Policy);
    }

    [Fact]
    public async Task The_runner_sample_starts_every_declared_sidecar_and_stops_them_all_on_SIGINT()
    {
        int port = Ports.Free();
        string file = Path.Combine(Path.GetTempPath(), $"sidecarkit-runner-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, $$"""
            {
              "Sidecars": {
                "heartbeat": {
                  "Command": "sh",
                  "Args": [ "-c", "{{Heartbeat}}" ],
                  "Readiness": { "Kind": "output", "Pattern": "^alive$" },
                  "Liveness": { "Kind": "output", "Pattern": "^alive$", "Interval": "00:00:05" }
                },
                "web": {
                  "Command": "python3",
                  "Args": [ "-m", "http.server", "{{port}}", "--bind", "127.0.0.1" ],
                  "Readiness": { "Kind": "http", "Url": "http://127.0.0.1:{{port}}/", "Period": "00:00:00.200" },
                  "Stop": { "Signal": "SIGINT" }
                }
              }
            }
            """);
        try
        {
            string config = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add(Path.Combine(DemoSidecar.RepoRoot, "samples", "Runner", "bin", config, "net10.0", "SidecarKit.Samples.Runner.dll"));
            psi.ArgumentList.Add(file);
            using Process runner = Process.Start(psi)!;
            Task<string> errors = runner.StandardError.ReadToEndAsync();
            var output = new List<string>();
            var pids = new Dictionary<string, int>();
            try
            {
                // A bound on the whole start, not a timing assert: a runner that never gets there fails with its output.
                using var started = new CancellationTokenSource(TimeSpan.FromSeconds(120));
                while (pids.Count < 2 || !output.Any(l => l.StartsWith("runner: 2 sidecar(s) started", StringComparison.Ordinal)))
                {
                    string? line;
                    try { line = await runner.StandardOutput.ReadLineAsync(started.Token); }
                    catch (OperationCanceledException) { line = null; }
                    Assert.True(line is not null, "the runner did not start both sidecars:\n" + string.Join("\n", output));
                    output.Add(line);
                    foreach (string name in new[] { "heartbeat", "web" })
                        if (line.StartsWith($"{name}: Ready (pid ", StringComparison.Ordinal))
                            pids[name] = int.Parse(line[$"{name}: Ready (pid ".Length..^1]);
                }
                Assert.All(pids.Values, pid => Assert.True(Alive(pid)));

                Assert.Equal(0, Native.kill(runner.Id, Native.SIGINT));
                Task<string> rest = runner.StandardOutput.ReadToEndAsync();
                await runner.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
                output.AddRange((await rest.WaitAsync(TimeSpan.FromSeconds(30))).Split('\n'));
            }
            finally
            {
                if (!runner.HasExited) runner.Kill(entireProcessTree: true);
            }
            Assert.True(runner.ExitCode == 0, $"exit code {runner.ExitCode}:\n{string.Join("\n", output)}\n{await errors.WaitAsync(TimeSpan.FromSeconds(30))}");
            Assert.Contains("runner: SIGINT, stopping", output);
            Assert.Contains("heartbeat: Stopped", output);
            Assert.Contains("web: Stopped", output);
            Assert.True(output.IndexOf("web: Stopped") < output.IndexOf("heartbeat: Stopped"), "stopped in reverse order");
            foreach ((string name, int pid) in pids)
                Assert.False(Alive(pid), $"{name} (pid {pid}) outlived the runner");
        }
        finally
        {
            File.Delete(file);
        }
    }

    // A process that exited but was not reaped yet (a zombie) is gone for our purpose.
    private static bool Alive(int pid) => ProcessInfo.IsAlive(pid);

    [Fact]
    public async Task A_sidecar_declared_in_appsettings_json_runs_and_gets_its_callback_handler_from_the_container()
    {
        // An appsettings.json as an application ships it: bound by the source-generated binder, then a typed client
        // and a callback handler built by the container (ISidecarBuilder.AddCallbacks) for the declared sidecar.
        string json = $$"""
        {
          "Logging": { "LogLevel": { "Default": "Warning" } },
          "Sidecars": {
            "demo": {
              "Command": "dotnet",
              "Args": [ {{System.Text.Json.JsonSerializer.Serialize(DemoSidecar.DllPath)}} ],
              "Transport": "jsonl",
              "ReadyTimeout": "00:01:00",
              "Restart": { "Policy": "on-failure", "InitialDelay": "00:00:00.050", "MaxRestarts": 3 },
              "Liveness": { "Interval": "00:00:00.500", "FailureThreshold": 2 }
            }
          }
        }
        """;
        IConfiguration configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))).Build();
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton<EventJournal>();
        builder.Services.AddSidecarsFromConfiguration(configuration.GetSection("Sidecars"));
        builder.Services.AddSidecar<Samples.Demo.IDemo>("demo").AddCallbacks<Samples.Demo.IDemoEvents, JournalingEvents>();
        using IHost host = builder.Build();
        await host.StartAsync();
        try
        {
            SidecarSupervisor supervisor = host.Services.GetRequiredService<SidecarRegistry>().Get("demo");
            Assert.Equal(SidecarState.Ready, supervisor.Status.State);
            Assert.Equal("jsonl", supervisor.Status.ReadyInfo?.Transport);
            Assert.Equal(4, await host.Services.GetRequiredService<Samples.Demo.IDemo>().WorkAsync(4));
            Assert.Equal(1, host.Services.GetRequiredService<JournalingEvents>().Confirmations);
            // The bound restart policy is the one in force: a crash is followed by a restart after 50 ms.
            await Assert.ThrowsAsync<SidecarCrashedException>(() => host.Services.GetRequiredService<Samples.Demo.IDemo>().ExitAsync(3));
            Assert.Equal(5, await host.Services.GetRequiredService<Samples.Demo.IDemo>().AddAsync(2, 3));
            Assert.Equal(1, supervisor.Status.RestartCount);
            Assert.Equal(3, supervisor.Status.LastExitCode);
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
