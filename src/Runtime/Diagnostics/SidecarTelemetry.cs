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

    /// <summary>Whether anything listens to spans or to the call metrics; when not, calls pay one check and nothing more.</summary>
    internal static bool Enabled => Source.HasListeners() || ClientDuration.Enabled || ServerDuration.Enabled
        || ClientActive.Enabled || ServerActive.Enabled;
}
