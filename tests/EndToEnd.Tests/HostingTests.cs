using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using SidecarKit.Samples.Demo;
using SidecarKit.Supervision;
using SidecarKit.Extensions.Hosting;
using SidecarKit.Processes;

namespace SidecarKit.EndToEnd.Tests;

public class HostingTests
{
    private static void Demo(SidecarSupervisorOptions options)
    {
        SidecarProcessOptions demo = DemoSidecar.Options();
        options.Process.FileName = demo.FileName;
        foreach (string a in demo.Arguments) options.Process.Arguments.Add(a);
        options.Process.Protocol = demo.Protocol;
        options.Process.Callbacks.AddContract<IDemoEvents>(new RecordingEvents(confirm: true));
        options.Restart.InitialDelay = TimeSpan.FromMilliseconds(50);
        options.HealthCheck.Enabled = false;
    }

    private static void Inventory(SidecarSupervisorOptions options, string build)
    {
        options.Process = CompatibilityTests.Options("jsonl", build, events: "none");
        options.Process.Name = "second";
        options.HealthCheck.Enabled = false;
    }

    private static void Inventory(SidecarSupervisorOptions options) => Inventory(options, "v1");

    [Fact]
    public async Task A_sidecar_serving_the_registered_contract_incompatibly_fails_the_hosts_start_naming_the_method()
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Services.AddSidecar<global::SidecarKit.Tests.Evolving.V1.IInventory>("second", o => Inventory(o, "broken"));
        using IHost host = builder.Build();
        // No client is resolved before the start: the contract named at registration is what the start checks.
        var e = await Assert.ThrowsAnyAsync<SidecarException>(() => host.StartAsync());
        Assert.Contains("inventory.get: the parameter 'id' changed type", e.Message);
        SidecarSupervisor supervisor = host.Services.GetRequiredService<SidecarRegistry>().Get("second");
        Assert.Equal(SidecarState.Failed, supervisor.Status.State);
        Assert.Equal(0, supervisor.Status.RestartCount);
    }

    [Fact]
    public async Task AddSidecar_starts_with_the_host_serves_a_client_reports_health_and_stops_in_reverse_order()
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Services.AddSidecar<IDemo>("first", Demo);
        builder.Services.AddSidecar<global::SidecarKit.Tests.Evolving.V1.IInventory>("second", Inventory, startOnDemand: false);
        builder.Services.AddHealthChecks().AddSidecarHealthCheck("first");
        using IHost host = builder.Build();

        SidecarRegistry registry = host.Services.GetRequiredService<SidecarRegistry>();
        var stopped = new List<string>();
        foreach (string name in new[] { "first", "second" })
            registry.Get(name).StateChanged += (_, c) => { if (c.Status.State == SidecarState.Stopped) lock (stopped) stopped.Add(c.Status.Name); };

        await host.StartAsync();
        Assert.Equal(SidecarState.Ready, registry.Get("first").Status.State);
        Assert.Equal(SidecarState.Ready, registry.Get("second").Status.State);

        IDemo demo = host.Services.GetRequiredService<IDemo>();
        Assert.Equal(3, await demo.AddAsync(1, 2));
        HealthReport health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Healthy, health.Entries["sidecar:first"].Status);

        // The injected client survives a crash of its sidecar.
        await Assert.ThrowsAsync<SidecarCrashedException>(() => demo.ExitAsync(9));
        Assert.Equal(4, await demo.AddAsync(2, 2));

        int firstPid = registry.Get("first").Status.Pid!.Value, secondPid = registry.Get("second").Status.Pid!.Value;
        await host.StopAsync();
        Assert.Equal(["second", "first"], stopped);
        Assert.False(Directory.Exists($"/proc/{firstPid}"));
        Assert.False(Directory.Exists($"/proc/{secondPid}"));
        health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Unhealthy, health.Entries["sidecar:first"].Status);
    }

    [Fact]
    public async Task An_on_demand_sidecar_starts_with_its_first_call()
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Services.AddSidecar<IDemo>("lazy", Demo, startOnDemand: true);
        using IHost host = builder.Build();
        await host.StartAsync();
        SidecarSupervisor supervisor = host.Services.GetRequiredService<SidecarRegistry>().Get("lazy");
        Assert.Equal(SidecarState.Stopped, supervisor.Status.State);
        Assert.Equal(7, await host.Services.GetRequiredService<IDemo>().AddAsync(3, 4));
        Assert.Equal(SidecarState.Ready, supervisor.Status.State);
        await host.StopAsync();
    }
}
