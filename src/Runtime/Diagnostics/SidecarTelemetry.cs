using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace SidecarKit.Diagnostics;

/// <summary>
/// The names under which SidecarKit reports traces and metrics: add them to an OpenTelemetry tracer and meter provider
/// (<c>.AddSource(SidecarTelemetry.ActivitySourceName)</c>, <c>.AddMeter(SidecarTelemetry.MeterName)</c>), or watch the
/// metrics with <c>dotnet-counters monitor --counters SidecarKit</c>. See docs/observability.md.
/// </summary>
public static class SidecarTelemetry
{
    /// <summary>The <see cref="ActivitySource"/> of client and server spans: <c>SidecarKit</c>.</summary>
    public const string ActivitySourceName = "SidecarKit";

    /// <summary>The <see cref="Meter"/> of the RPC and sidecar metrics: <c>SidecarKit</c>.</summary>
    public const string MeterName = "SidecarKit";

    private static readonly string? s_version = typeof(SidecarTelemetry).Assembly.GetName().Version?.ToString();

    internal static readonly ActivitySource Source = new(ActivitySourceName, s_version);

    internal static readonly Meter Meter = new(MeterName, s_version);

    /// <summary><c>rpc.client.duration</c>: the time of each call this side made, to its answer (OpenTelemetry RPC conventions).</summary>
    internal static readonly Histogram<double> ClientDuration = Meter.CreateHistogram<double>("rpc.client.duration", "ms",
        "The duration of outgoing calls, from the call to its answer.");

    /// <summary><c>rpc.server.duration</c>: the time of each call this side served.</summary>
    internal static readonly Histogram<double> ServerDuration = Meter.CreateHistogram<double>("rpc.server.duration", "ms",
        "The duration of calls served, from their arrival to the answer.");

    /// <summary><c>rpc.client.active_requests</c>: calls this side made that are waiting for their answer.</summary>
    internal static readonly UpDownCounter<long> ClientActive = Meter.CreateUpDownCounter<long>("rpc.client.active_requests", "{request}",
        "Outgoing calls waiting for their answer.");

    /// <summary><c>rpc.server.active_requests</c>: calls this side is serving.</summary>
    internal static readonly UpDownCounter<long> ServerActive = Meter.CreateUpDownCounter<long>("rpc.server.active_requests", "{request}",
        "Calls being served.");

    /// <summary><c>sidecarkit.sidecar.restarts</c>: restarts of supervised sidecars, by <c>sidecarkit.sidecar.name</c>.</summary>
    internal static readonly Counter<long> Restarts = Meter.CreateCounter<long>("sidecarkit.sidecar.restarts", "{restart}",
        "Restarts of supervised sidecars.");

    /// <summary><c>sidecarkit.sidecar.time_to_ready</c>: from spawn to ready, per start.</summary>
    internal static readonly Histogram<double> TimeToReady = Meter.CreateHistogram<double>("sidecarkit.sidecar.time_to_ready", "ms",
        "The time from a sidecar's spawn to its being ready.");

    /// <summary><c>sidecarkit.sidecar.liveness_failures</c>: liveness checks that failed.</summary>
    internal static readonly Counter<long> LivenessFailures = Meter.CreateCounter<long>("sidecarkit.sidecar.liveness_failures", "{check}",
        "Liveness checks of supervised sidecars that failed.");

    /// <summary><c>sidecarkit.stream.credit_stalls</c>: times a stream's sender waited for the receiver's credit.</summary>
    internal static readonly Counter<long> CreditStalls = Meter.CreateCounter<long>("sidecarkit.stream.credit_stalls", "{stall}",
        "Times a server stream waited for its receiver to grant credit.");

    /// <summary><c>sidecarkit.sidecar.state</c>: each live supervisor's state (the <see cref="Supervision.SidecarState"/> value).</summary>
    internal static readonly LiveGauge<Supervision.SidecarSupervisor> States = new("sidecarkit.sidecar.state", "{state}",
        "The state of each supervised sidecar: 0 Stopped, 1 Starting, 2 Ready, 3 Unhealthy, 4 Restarting, 5 Failed, 6 Stopping.",
        NameTag, supervisor => ((int)supervisor.Status.State, supervisor.Name));

    /// <summary><c>sidecarkit.connection.replies_owed</c>: requests served and not answered yet, by <c>rpc.system</c>.</summary>
    internal static readonly LiveGauge<Rpc.RpcConnection> RepliesOwed = new("sidecarkit.connection.replies_owed", "{request}",
        "Requests served and not answered yet, summed over the live connections of each rpc.system.",
        "rpc.system", connection => (connection.Requests.RepliesOwed, connection.Protocol.RpcSystem));

    /// <summary><c>sidecarkit.connection.calls_waiting</c>: calls made that wait for their answer, by <c>rpc.system</c>.</summary>
    internal static readonly LiveGauge<Rpc.RpcConnection> CallsWaiting = new("sidecarkit.connection.calls_waiting", "{request}",
        "Calls made that wait for their answer, summed over the live connections of each rpc.system.",
        "rpc.system", connection => (connection.PendingCallCount, connection.Protocol.RpcSystem));

    /// <summary>The tag that names a sidecar on lifecycle spans and metrics.</summary>
    internal const string NameTag = "sidecarkit.sidecar.name";

    /// <summary>Whether anything listens to spans or to the call metrics; when not, calls pay one check and nothing more.</summary>
    internal static bool Enabled => Source.HasListeners() || ClientDuration.Enabled || ServerDuration.Enabled
        || ClientActive.Enabled || ServerActive.Enabled;
}
