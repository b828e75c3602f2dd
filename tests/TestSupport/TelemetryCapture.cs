using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using SidecarKit.Diagnostics;

namespace SidecarKit.Tests.Support;

/// <summary>
/// The OpenTelemetry SDK with its in-memory exporters, listening to SidecarKit's spans and metrics. Tests run in
/// parallel and every capture sees every span: a test starts its own root (<see cref="StartRoot"/>) and looks at the
/// spans of that trace only.
/// </summary>
public sealed class TelemetryCapture : IDisposable
{
    /// <summary>
    /// The collection of the tests that listen: run alone (each test assembly defines it with
    /// <c>DisableParallelization</c>), because while a listener is on every call of every other test carries its trace
    /// context, and tests that check exact request bytes would see it.
    /// </summary>
    public const string Collection = "Telemetry";

    private static readonly ActivitySource s_tests = new("SidecarKit.Tests");
    private readonly List<Activity> _spans = [];
    private readonly List<Metric> _metrics = [];
    private readonly TracerProvider _tracer;
    private readonly MeterProvider _meter;

    public TelemetryCapture()
    {
        _tracer = Sdk.CreateTracerProviderBuilder()
            .AddSource(SidecarTelemetry.ActivitySourceName, s_tests.Name)
            .SetSampler(new AlwaysOnSampler())
            .AddInMemoryExporter(_spans)
            .Build()!;
        _meter = Sdk.CreateMeterProviderBuilder().AddMeter(SidecarTelemetry.MeterName).AddInMemoryExporter(_metrics).Build()!;
    }

    /// <summary>A root span of this test's own, current until disposed.</summary>
    public Activity StartRoot() => s_tests.StartActivity("test", ActivityKind.Internal) ?? throw new InvalidOperationException("The tracer does not sample.");

    /// <summary>The finished spans of <paramref name="trace"/> so far.</summary>
    public IReadOnlyList<Activity> Spans(ActivityTraceId trace) => [.. All().Where(s => s.TraceId == trace)];

    private Activity[] All()
    {
        while (true)
        {
            try { return _spans.ToArray(); }
            catch (ArgumentException) { } // the exporter appended while the list was copied
        }
    }

    /// <summary>Waits (up to 10 s) for a finished span of <paramref name="trace"/> that <paramref name="match"/> accepts.</summary>
    public Task<Activity> SpanAsync(ActivityTraceId trace, Func<Activity, bool> match) => SpanAsync(s => s.TraceId == trace && match(s), trace);

    /// <summary>Waits (up to 10 s) for a finished span of any trace that <paramref name="match"/> accepts.</summary>
    public Task<Activity> SpanAsync(Func<Activity, bool> match) => SpanAsync(match, default);

    private async Task<Activity> SpanAsync(Func<Activity, bool> match, ActivityTraceId trace)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (All().FirstOrDefault(match) is { } found) return found;
            if (clock.Elapsed > TimeSpan.FromSeconds(10))
                throw new Xunit.Sdk.XunitException("No such span; the trace has: " + string.Join(", ", Spans(trace).Select(s => $"{s.Kind} {s.DisplayName}")));
            await Task.Delay(20);
        }
    }

    /// <summary>The metrics collected so far (collects first).</summary>
    public IReadOnlyList<Metric> Metrics()
    {
        _metrics.Clear();
        _meter.ForceFlush();
        return [.. _metrics];
    }

    /// <summary>The points (histogram, counter or gauge) of <paramref name="name"/> whose tags include every one of <paramref name="tags"/>.</summary>
    public IReadOnlyList<MetricPoint> Points(string name, params (string Key, object Value)[] tags)
    {
        var points = new List<MetricPoint>();
        foreach (Metric metric in Metrics().Where(m => m.Name == name))
        {
            foreach (ref readonly MetricPoint point in metric.GetMetricPoints())
            {
                var have = new Dictionary<string, object?>();
                foreach (KeyValuePair<string, object?> tag in point.Tags) have[tag.Key] = tag.Value;
                if (tags.All(t => have.TryGetValue(t.Key, out object? v) && Equals(v, t.Value))) points.Add(point);
            }
        }
        return points;
    }

    /// <summary>The unit <paramref name="name"/> is reported in.</summary>
    public string? Unit(string name) => Metrics().FirstOrDefault(m => m.Name == name)?.Unit;

    public void Dispose()
    {
        _tracer.Dispose();
        _meter.Dispose();
    }
}
