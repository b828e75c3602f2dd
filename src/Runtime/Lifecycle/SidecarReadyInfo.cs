using System.Text.Json;

namespace SidecarKit;

/// <summary>One contract a sidecar serves, as announced when it is ready.</summary>
/// <param name="Name">The contract's wire name.</param>
/// <param name="Fingerprint">The hash of the contract's wire shape; it must equal the parent's.</param>
public sealed record SidecarContractInfo(string Name, string Fingerprint);

/// <summary>
/// What a sidecar announces when it is ready, on stderr (<c>__SIDECAR_READY__:{json}</c>) and as the
/// <c>lifecycle.ready</c> notification.
/// </summary>
/// <param name="Version">The sidecar's own version.</param>
/// <param name="ProtocolVersion">The SidecarKit wire protocol version (<c>1.0</c>).</param>
/// <param name="Pid">The sidecar's process id.</param>
/// <param name="InstanceId">A fresh random id for this run of the sidecar.</param>
/// <param name="Transport">The transport it serves (<c>jsonl</c>).</param>
/// <param name="ListenInfo">Where it listens, for socket transports (a path or a port); null on stdio.</param>
/// <param name="Contracts">The contracts it serves.</param>
public sealed record SidecarReadyInfo(
    string Version,
    string ProtocolVersion,
    int Pid,
    string? InstanceId,
    string? Transport,
    string? ListenInfo,
    IReadOnlyList<SidecarContractInfo>? Contracts)
{
    /// <summary>The prefix of the ready line on stderr.</summary>
    public const string MarkerPrefix = "__SIDECAR_READY__:";

    /// <summary>The wire protocol version this runtime speaks.</summary>
    public const string CurrentProtocolVersion = "1.0";

    /// <summary>Writes the payload as the JSON object that follows <see cref="MarkerPrefix"/>.</summary>
    public string ToJson()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("status", "ok");
            w.WriteString("version", Version);
            w.WriteString("protocolVersion", ProtocolVersion);
            w.WriteNumber("pid", Pid);
            w.WriteString("instanceId", InstanceId);
            w.WriteString("transport", Transport);
            w.WriteString("listenInfo", ListenInfo);
            w.WriteStartArray("contracts");
            foreach (SidecarContractInfo c in Contracts ?? [])
            {
                w.WriteStartObject();
                w.WriteString("name", c.Name);
                w.WriteString("fingerprint", c.Fingerprint);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Reads the JSON object of a ready line. Members other sidecars may omit are null.</summary>
    /// <exception cref="FormatException">The text is not a ready payload.</exception>
    public static SidecarReadyInfo Parse(string json)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(json);
            JsonElement root = doc.RootElement;
            List<SidecarContractInfo>? contracts = null;
            if (root.TryGetProperty("contracts", out JsonElement list) && list.ValueKind == JsonValueKind.Array)
            {
                contracts = [];
                foreach (JsonElement c in list.EnumerateArray())
                    contracts.Add(new SidecarContractInfo(c.GetProperty("name").GetString()!, c.GetProperty("fingerprint").GetString()!));
            }
            return new SidecarReadyInfo(
                String(root, "version") ?? "",
                String(root, "protocolVersion") ?? "",
                root.TryGetProperty("pid", out JsonElement pid) && pid.TryGetInt32(out int p) ? p : 0,
                String(root, "instanceId"),
                String(root, "transport"),
                String(root, "listenInfo"),
                contracts);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            throw new FormatException($"Not a ready payload: {e.Message}", e);
        }
    }

    private static string? String(JsonElement root, string name)
        => root.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}

/// <summary>The answer to <c>system.ping</c>.</summary>
/// <param name="Status"><c>ok</c>, or <c>draining</c> while shutting down.</param>
/// <param name="Pid">The sidecar's process id.</param>
/// <param name="InstanceId">The id announced when it was ready.</param>
/// <param name="UptimeMs">Milliseconds since it started.</param>
/// <param name="ActiveRequests">Requests running now.</param>
/// <param name="Version">The sidecar's version.</param>
/// <param name="ProtocolVersion">The wire protocol version.</param>
public sealed record SidecarHealth(string Status, int Pid, string? InstanceId, long UptimeMs, int ActiveRequests, string? Version, string? ProtocolVersion);
