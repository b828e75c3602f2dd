using SidecarKit.Transports.Grpc.Protobuf;

namespace SidecarKit.Transports.Grpc.Server;

/// <summary>
/// <c>grpc.health.v1.Health</c>: <c>SERVING</c> once the sidecar is ready, <c>NOT_SERVING</c> before that and while it
/// shuts down, for the server as a whole (service <c>""</c>) and for each contract's service.
/// </summary>
internal sealed class HealthService
{
    public const string CheckPath = "/grpc.health.v1.Health/Check";
    public const string WatchPath = "/grpc.health.v1.Health/Watch";

    // HealthCheckResponse.ServingStatus
    public const int Serving = 1;
    public const int NotServing = 2;
    public const int ServiceUnknown = 3;

    private readonly HashSet<string> _services;
    private volatile TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _serving;

    public HealthService(IEnumerable<string> services) => _services = new HashSet<string>(services, StringComparer.Ordinal) { "" };

    public void SetServing(bool serving)
    {
        if (_serving == serving) return;
        _serving = serving;
        Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>The status of <paramref name="service"/>, or <see langword="null"/> for a service not served here.</summary>
    public int? StatusOf(string service) => _services.Contains(service) ? (_serving ? Serving : NotServing) : null;

    /// <summary>Completes when the status next changes.</summary>
    public Task Changed => _changed.Task;

    /// <summary>HealthCheckRequest { string service = 1; }</summary>
    public static string ReadService(ReadOnlySpan<byte> request)
    {
        var reader = new ProtobufReader(request);
        reader.ReadStartObject();
        int index = -1;
        string service = "";
        while (reader.ReadNextMember(s_request, ref index))
        {
            if (index == 0) service = reader.ReadString();
            else reader.Skip();
        }
        return service;
    }

    /// <summary>HealthCheckResponse { ServingStatus status = 1; }</summary>
    public static void WriteStatus(ProtobufEncoder encoder, int status)
    {
        var writer = new ProtobufWriter(encoder);
        writer.WriteStartObject(s_response);
        writer.WriteMember(s_response, 0);
        writer.WriteInt64(status);
        writer.WriteEndObject();
    }

    private static readonly SidecarKit.Wire.WireMembers s_request = new("HealthCheckRequest", [new Schema.WireField("service", Schema.WireType.Of(Schema.WireScalar.String), 1)]);
    private static readonly SidecarKit.Wire.WireMembers s_response = new("HealthCheckResponse", [new Schema.WireField("status", Schema.WireType.Of(Schema.WireScalar.Int32), 1)]);
}
