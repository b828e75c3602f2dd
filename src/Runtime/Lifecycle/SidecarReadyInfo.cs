using System.Text.Json;

namespace SidecarKit;

/// <summary>
/// One contract a sidecar serves (or, among <see cref="SidecarReadyInfo.Callbacks"/>, calls on its parent), as announced
/// when it is ready. A SidecarKit sidecar announces every method with its shape and the named types; the parent
/// compares them with what it was built against (docs/compatibility.md).
/// </summary>
/// <param name="Name">The contract's wire name.</param>
/// <param name="Fingerprint">The hash of the contract's whole wire shape: equal fingerprints need no further comparison. Optional.</param>
/// <param name="Methods">The methods, with their shapes or by name alone; null when not announced (nothing is checked).</param>
/// <param name="Types">The DTOs and enums the methods use; null when not announced.</param>
public sealed record SidecarContractInfo(string Name, string? Fingerprint, IReadOnlyList<SidecarMethodInfo>? Methods = null, IReadOnlyList<SidecarTypeInfo>? Types = null)
{
    /// <summary>The announcement of a contract built here: its fingerprint, every method's shape and its named types.</summary>
    public static SidecarContractInfo From(ContractDescriptor contract)
    {
        ArgumentNullException.ThrowIfNull(contract);
        return Lifecycle.ContractShapes.Describe(contract);
    }

    /// <summary>The contract's name and, when announced, its fingerprint (<c>demo@5df00a6790bb7c16</c>).</summary>
    public override string ToString() => Fingerprint is null ? Name : $"{Name}@{Fingerprint}";
}

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
/// <param name="Callbacks">The contracts it calls on its parent (callbacks), which the parent must serve.</param>
public sealed record SidecarReadyInfo(
    string Version,
    string ProtocolVersion,
    int Pid,
    string? InstanceId,
    string? Transport,
    string? ListenInfo,
    IReadOnlyList<SidecarContractInfo>? Contracts,
    IReadOnlyList<SidecarContractInfo>? Callbacks = null)
{
    /// <summary>The prefix of the ready line on stderr.</summary>
    public const string MarkerPrefix = "__SIDECAR_READY__:";

    /// <summary>The wire protocol version this runtime speaks.</summary>
    public const string CurrentProtocolVersion = "1.0";

    /// <summary>
    /// Whether this runtime speaks <paramref name="protocolVersion"/>: the same major version (minor versions only add
    /// what the other side may ignore). One not announced (a plain or hand-written sidecar) is taken as spoken.
    /// </summary>
    public static bool SpeaksProtocol(string? protocolVersion)
    {
        if (string.IsNullOrEmpty(protocolVersion)) return true;
        static ReadOnlySpan<char> Major(string v) => v.AsSpan(0, v.IndexOf('.') is int dot and >= 0 ? dot : v.Length);
        return Major(protocolVersion).SequenceEqual(Major(CurrentProtocolVersion));
    }

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
            Lifecycle.ContractShapes.WriteJson(w, "contracts", Contracts ?? []);
            if (Callbacks is { Count: > 0 }) Lifecycle.ContractShapes.WriteJson(w, "callbacks", Callbacks);
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
            return new SidecarReadyInfo(
                String(root, "version") ?? "",
                String(root, "protocolVersion") ?? "",
                root.TryGetProperty("pid", out JsonElement pid) && pid.TryGetInt32(out int p) ? p : 0,
                String(root, "instanceId"),
                String(root, "transport"),
                String(root, "listenInfo"),
                Lifecycle.ContractShapes.ReadJson(root, "contracts"),
                Lifecycle.ContractShapes.ReadJson(root, "callbacks"));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw new FormatException($"Not a ready payload: {e.Message}", e);
        }
    }

    internal static string? String(JsonElement root, string name)
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
