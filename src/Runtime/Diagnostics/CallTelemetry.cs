using System.Diagnostics;
using SidecarKit.Rpc;

namespace SidecarKit.Diagnostics;

/// <summary>
/// One call's span and measurements, on either side, named and tagged by the OpenTelemetry RPC conventions:
/// span <c>{service}/{method}</c>, <c>rpc.system</c>, <c>rpc.service</c> (the contract), <c>rpc.method</c>, the error
/// code (<c>rpc.jsonrpc.error_code</c>, <c>rpc.grpc.status_code</c>) and an error status on failure. The engine starts
/// one per outgoing call (<see cref="RpcChannel"/>) and per served call (each transport's dispatch), so every transport
/// reports alike. Created only while something listens (<see cref="SidecarTelemetry.Enabled"/>).
/// </summary>
internal sealed class CallTelemetry
{
    private readonly Activity? _activity;
    private readonly long _started;
    private readonly TagList _tags;
    private readonly bool _client;

    private CallTelemetry(Activity? activity, TagList tags, bool client)
    {
        _activity = activity;
        _tags = tags;
        _client = client;
        _started = Stopwatch.GetTimestamp();
        (client ? SidecarTelemetry.ClientActive : SidecarTelemetry.ServerActive).Add(1, tags);
    }

    /// <summary>A client span (the current activity becomes it, so the transport propagates its context).</summary>
    public static CallTelemetry? StartClient(string method, string? system)
    {
        if (!SidecarTelemetry.Enabled) return null;
        TagList tags = Tags(method, system);
        Activity? activity = SidecarTelemetry.Source.StartActivity(method.Replace('.', '/'), ActivityKind.Client, default(ActivityContext), tags);
        return new CallTelemetry(activity, tags, client: true);
    }

    /// <summary>
    /// A server span, the child of <paramref name="received"/> (the W3C context received with the call) when
    /// given, else of the current activity (a transport's own, such as ASP.NET Core's for gRPC).
    /// </summary>
    public static CallTelemetry? StartServer(string method, string system, RpcTraceContext received)
    {
        if (!SidecarTelemetry.Enabled) return null;
        TagList tags = Tags(method, system);
        ActivityContext parent = default;
        if (received.TraceParent is { } traceParent) ActivityContext.TryParse(traceParent, received.TraceState, isRemote: true, out parent);
        Activity? activity = SidecarTelemetry.Source.StartActivity(method.Replace('.', '/'), ActivityKind.Server, parent, tags);
        return new CallTelemetry(activity, tags, client: false);
    }

    private static TagList Tags(string method, string? system)
    {
        int dot = method.LastIndexOf('.');
        var tags = new TagList
        {
            { "rpc.system", system ?? "sidecarkit" },
            { "rpc.service", dot > 0 ? method[..dot] : method },
            { "rpc.method", dot > 0 ? method[(dot + 1)..] : method },
        };
        return tags;
    }

    /// <summary>Ends the call: its duration, and its error (null when it succeeded).</summary>
    public void Stop(Exception? error)
    {
        double ms = Stopwatch.GetElapsedTime(_started).TotalMilliseconds;
        TagList tags = _tags;
        if (error is not null)
        {
            string type = error is SidecarRemoteException remote ? remote.Code.ToString(System.Globalization.CultureInfo.InvariantCulture) : error.GetType().Name;
            tags.Add("error.type", type);
            if (_activity is not null)
            {
                _activity.SetStatus(ActivityStatusCode.Error, error.Message);
                _activity.SetTag("error.type", type);
                if (error is SidecarRemoteException r)
                    _activity.SetTag(IsGrpc ? "rpc.grpc.status_code" : "rpc.jsonrpc.error_code", r.Code);
            }
        }
        else if (IsGrpc)
        {
            _activity?.SetTag("rpc.grpc.status_code", 0);
        }
        (_client ? SidecarTelemetry.ClientActive : SidecarTelemetry.ServerActive).Add(-1, _tags);
        (_client ? SidecarTelemetry.ClientDuration : SidecarTelemetry.ServerDuration).Record(ms, tags);
        _activity?.Dispose();
    }

    private bool IsGrpc => _tags[0].Value is "grpc";
}
