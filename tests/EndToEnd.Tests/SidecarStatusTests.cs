using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using SidecarKit.Extensions.AspNetCore;
using SidecarKit.Extensions.Hosting;
using SidecarKit.Samples.Demo;
using SidecarKit.Supervision;

namespace SidecarKit.EndToEnd.Tests;

/// <summary>The status surface (issue 15 point 6): SidecarRegistry.GetStatus() and MapSidecarStatus() on a real Kestrel.</summary>
public class SidecarStatusTests
{
    [Fact]
    public async Task MapSidecarStatus_on_kestrel_answers_json_with_every_sidecars_state_pid_and_calls_in_flight()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddSingleton<EventJournal>();
        builder.Services.AddSidecar<IDemo>("first", HostingTests.DemoWithoutCallbacks).AddCallbacks<IDemoEvents, JournalingEvents>();
        builder.Services.AddSidecar<global::SidecarKit.Tests.Evolving.V1.IInventory>("lazy", options =>
        {
            options.Process = CompatibilityTests.Options("jsonl", "v1", events: "none");
            options.Process.Name = "lazy";
            options.HealthCheck.Enabled = false;
        }, startOnDemand: true);
        await using WebApplication app = builder.Build();
        app.MapSidecarStatus();
        app.MapSidecarStatus("/admin/sidecars");
        app.Urls.Add("http://127.0.0.1:0");
        await app.StartAsync();
        try
        {
            string address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
            Assert.DoesNotContain(":0", address.Replace("127.0.0.1", ""));
            using var http = new HttpClient { BaseAddress = new Uri(address) };
            SidecarSupervisor first = app.Services.GetRequiredService<SidecarRegistry>().Get("first");

            // A call held in flight while the status is read.
            Task<string> sleeping = app.Services.GetRequiredService<IDemo>().SleepAsync(3000);
            for (var deadline = DateTime.UtcNow.AddSeconds(5); first.Status.CallsInFlight == 0 && DateTime.UtcNow < deadline;) await Task.Delay(10);

            using HttpResponseMessage response = await http.GetAsync("/sidecars");
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            string body = await response.Content.ReadAsStringAsync();
            using JsonDocument json = JsonDocument.Parse(body);
            JsonElement[] sidecars = [.. json.RootElement.GetProperty("sidecars").EnumerateArray()];
            Assert.Equal(["first", "lazy"], sidecars.Select(s => s.GetProperty("name").GetString()));

            JsonElement ready = sidecars[0];
            Assert.Equal("Ready", ready.GetProperty("state").GetString());
            Assert.Equal(first.Status.Pid, ready.GetProperty("pid").GetInt32());
            Assert.Equal(1, ready.GetProperty("callsInFlight").GetInt32());
            Assert.Equal("jsonl", ready.GetProperty("transport").GetString());
            Assert.Equal(0, ready.GetProperty("restartCount").GetInt32());
            Assert.True(ready.GetProperty("uptimeSeconds").GetDouble() > 0, body);

            JsonElement lazy = sidecars[1];
            Assert.Equal("Stopped", lazy.GetProperty("state").GetString());
            Assert.Equal(JsonValueKind.Null, lazy.GetProperty("pid").ValueKind);

            Assert.Equal("slept", await sleeping);

            // After a crash and restart: the other pattern, the same snapshot with the restart and its exit code.
            await Assert.ThrowsAsync<SidecarCrashedException>(() => app.Services.GetRequiredService<IDemo>().ExitAsync(7));
            Assert.Equal(3, await app.Services.GetRequiredService<IDemo>().AddAsync(1, 2));
            SidecarStatusResponse? after = await http.GetFromJsonAsync("/admin/sidecars", SidecarStatusJsonContext.Default.SidecarStatusResponse);
            SidecarStatusEntry entry = after!.Sidecars[0];
            Assert.Equal(("first", "Ready", 1, 7, 0), (entry.Name, entry.State, entry.RestartCount, entry.LastExitCode, entry.CallsInFlight));
            Assert.Equal(first.Status.Pid, entry.Pid);
        }
        finally
        {
            await app.StopAsync();
        }
    }

    [Fact]
    public async Task The_registry_snapshots_every_sidecar_in_registration_order()
    {
        var services = new ServiceCollection();
        services.AddSidecar<IDemo>("b", HostingTests.DemoWithoutCallbacks, startOnDemand: true);
        services.AddSidecar<global::SidecarKit.Tests.Evolving.V1.IInventory>("a", options =>
        {
            options.Process = CompatibilityTests.Options("jsonl", "v1", events: "none");
            options.Process.Name = "a";
        }, startOnDemand: true);
        await using ServiceProvider provider = services.BuildServiceProvider();
        IReadOnlyList<SidecarStatus> status = provider.GetRequiredService<SidecarRegistry>().GetStatus();
        Assert.Equal(["b", "a"], status.Select(s => s.Name));
        Assert.All(status, s => Assert.Equal((SidecarState.Stopped, (int?)null, 0), (s.State, s.Pid, s.CallsInFlight)));
    }
}
