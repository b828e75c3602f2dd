using System.Diagnostics;
using SidecarKit.Diagnostics;
using SidecarKit.Samples.Demo;
using SidecarKit.Supervision;
using SidecarKit.Tests.Support;

namespace SidecarKit.EndToEnd.Tests;

/// <summary>A supervised sidecar's life as spans and metrics: starts, restarts, its state, its stop (docs/observability.md).</summary>
[Collection(TelemetryCapture.Collection)]
public class LifecycleTelemetryTests
{
    [Fact]
    public async Task Starts_restarts_state_and_stop_are_reported()
    {
        using var capture = new TelemetryCapture();
        string name = "telemetry-" + Guid.NewGuid().ToString("N")[..8];
        var options = new SidecarSupervisorOptions { Process = DemoSidecar.Options() };
        options.Process.Name = name;
        options.Restart.InitialDelay = TimeSpan.FromMilliseconds(50);
        options.HealthCheck.Enabled = false;
        await using var supervisor = new SidecarSupervisor(options);
        IDemo demo = supervisor.GetClient<IDemo>();
        await supervisor.StartAsync();
        int first = supervisor.Status.Pid!.Value;

        Activity start = await capture.SpanAsync(s => s.DisplayName == "sidecar.start" && Equals(s.GetTagItem(SidecarTelemetry.NameTag), name));
        Assert.Equal(first, start.GetTagItem("process.pid"));
        Assert.Equal(ActivityStatusCode.Unset, start.Status);
        Assert.NotEmpty(capture.Points("sidecarkit.sidecar.time_to_ready", (SidecarTelemetry.NameTag, name)));
        Assert.Equal("ms", capture.Unit("sidecarkit.sidecar.time_to_ready"));
        Assert.Equal((long)SidecarState.Ready, Assert.Single(capture.Points("sidecarkit.sidecar.state", (SidecarTelemetry.NameTag, name))).GetGaugeLastValueLong());

        await Assert.ThrowsAsync<SidecarCrashedException>(() => demo.ExitAsync(3));
        await DemoSidecarTests.Eventually(() => supervisor.Status is { State: SidecarState.Ready, Pid: int p } && p != first, "the restarted instance");
        Assert.Equal(1, capture.Points("sidecarkit.sidecar.restarts", (SidecarTelemetry.NameTag, name)).Sum(p => p.GetSumLong()));
        await capture.SpanAsync(s => s.DisplayName == "sidecar.start" && Equals(s.GetTagItem(SidecarTelemetry.NameTag), name) && !Equals(s.GetTagItem("process.pid"), first));

        int second = supervisor.Status.Pid!.Value;
        await supervisor.StopAsync();
        Activity stop = await capture.SpanAsync(s => s.DisplayName == "sidecar.stop" && Equals(s.GetTagItem("process.pid"), second));
        Assert.Equal(name, stop.GetTagItem(SidecarTelemetry.NameTag));
        Assert.Equal(0, stop.GetTagItem("process.exit.code"));
        Assert.Equal((long)SidecarState.Stopped, Assert.Single(capture.Points("sidecarkit.sidecar.state", (SidecarTelemetry.NameTag, name))).GetGaugeLastValueLong());
    }
}
