using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using SidecarKit.Samples.Demo;
using SidecarKit.Supervision;
using SidecarKit.Extensions.Hosting;
using SidecarKit.Processes;
using System.Collections.Concurrent;

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

    // The demo sidecar with no callback handler: each test adds its own, from the container.
    internal static void DemoWithoutCallbacks(SidecarSupervisorOptions options)
    {
        SidecarProcessOptions demo = DemoSidecar.Options();
        options.Process.FileName = demo.FileName;
        foreach (string a in demo.Arguments) options.Process.Arguments.Add(a);
        options.Process.Protocol = demo.Protocol;
        options.Process.ReadyTimeout = demo.ReadyTimeout;
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

    [Fact]
    public async Task The_configure_overload_gets_the_containers_services_and_demo_work_reaches_a_callback_handler_from_DI()
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton<EventJournal>();
        builder.Services.AddSingleton<IDemoEvents, JournalingEvents>(); // constructed by the container, with its dependency
        IServiceProvider? seen = null;
        builder.Services.AddSidecar<IDemo>("di", (sp, options) =>
        {
            seen = sp;
            DemoWithoutCallbacks(options);
            options.Process.Callbacks.AddContract<IDemoEvents>(sp.GetRequiredService<IDemoEvents>());
        });
        using IHost host = builder.Build();
        await host.StartAsync();
        try
        {
            Assert.NotNull(seen);
            Assert.Equal(3, await host.Services.GetRequiredService<IDemo>().WorkAsync(3)); // confirmed by the handler from DI
            EventJournal journal = host.Services.GetRequiredService<EventJournal>();
            Assert.Contains("confirm commit?", journal.Entries);
            foreach (int percent in new[] { 0, 33, 66 }) await journal.WaitForAsync($"progress work {percent}");
            Assert.Equal(3, journal.Entries.Count(e => e.StartsWith("progress", StringComparison.Ordinal)));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task AddCallbacks_registers_the_handler_in_the_container_and_the_sidecar_calls_that_instance()
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton<EventJournal>();
        ISidecarBuilder sidecar = builder.Services.AddSidecar<IDemo>("di", DemoWithoutCallbacks).AddCallbacks<IDemoEvents, JournalingEvents>();
        Assert.Equal("di", sidecar.Name);
        using IHost host = builder.Build();
        await host.StartAsync();
        try
        {
            Assert.Equal(2, await host.Services.GetRequiredService<IDemo>().WorkAsync(2));
            JournalingEvents handler = host.Services.GetRequiredService<JournalingEvents>(); // the container's singleton
            Assert.Equal(1, handler.Confirmations);
            Assert.Contains("confirm commit?", host.Services.GetRequiredService<EventJournal>().Entries);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public void Registering_a_sidecar_without_configuring_it_names_it()
    {
        var services = new ServiceCollection();
        var e = Assert.Throws<ArgumentNullException>(() => services.AddSidecar<IDemo>("nowhere"));
        Assert.Contains("'nowhere'", e.Message);
        Assert.Throws<ArgumentNullException>(() => services.AddSidecar<IDemo>("x", (Action<IServiceProvider, SidecarSupervisorOptions>)null!));
    }
}

/// <summary>What a callback handler built by the container saw, in order.</summary>
internal sealed class EventJournal
{
    private readonly ConcurrentQueue<string> _entries = new();

    public IReadOnlyList<string> Entries => [.. _entries];

    public void Add(string entry) => _entries.Enqueue(entry);

    public async Task WaitForAsync(string entry)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(10); !_entries.Contains(entry); await Task.Delay(20))
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"'{entry}' never came; saw: {string.Join(", ", _entries)}");
    }
}

/// <summary>A handler of the demo's callbacks with a constructor dependency: only a container can make it.</summary>
internal sealed class JournalingEvents(EventJournal journal) : IDemoEvents
{
    private int _confirmations;

    public int Confirmations => Volatile.Read(ref _confirmations);

    public void Progress(string task, int percent) => journal.Add($"progress {task} {percent}");

    public Task<bool> ConfirmAsync(string question, CancellationToken ct)
    {
        Interlocked.Increment(ref _confirmations);
        journal.Add($"confirm {question}");
        return Task.FromResult(true);
    }
}
