using System.Text.Json;
using System.Text.Json.Serialization;
using SidecarKit.Supervision;

namespace SidecarKit.Extensions.AspNetCore;

/// <summary>What <c>MapSidecarStatus()</c> answers: every registered sidecar, in registration order.</summary>
/// <param name="Sidecars">One entry per sidecar.</param>
public sealed record SidecarStatusResponse(IReadOnlyList<SidecarStatusEntry> Sidecars)
{
    /// <summary>The snapshot of <paramref name="statuses"/> (from <c>SidecarRegistry.GetStatus()</c>).</summary>
    public static SidecarStatusResponse From(IEnumerable<SidecarStatus> statuses)
    {
        ArgumentNullException.ThrowIfNull(statuses);
        return new([.. statuses.Select(SidecarStatusEntry.From)]);
    }
}

/// <summary>One sidecar in a <see cref="SidecarStatusResponse"/>: the parts of a <see cref="SidecarStatus"/> an admin view needs.</summary>
/// <param name="Name">The sidecar's name.</param>
/// <param name="State">Its <see cref="SidecarState"/>, by name (<c>Ready</c>, <c>Restarting</c>, …).</param>
/// <param name="Pid">The current process id, if one runs.</param>
/// <param name="InstanceId">The current instance's id from its ready payload, if it is ready.</param>
/// <param name="UptimeSeconds">How long the current instance has been running, in seconds (0 when none runs).</param>
/// <param name="RestartCount">Restarts since the supervisor was started.</param>
/// <param name="NextRetry">In <c>Restarting</c>: when the next start happens.</param>
/// <param name="LastExitCode">The exit code of the last instance that exited.</param>
/// <param name="LastError">Why the last instance ended or could not start.</param>
/// <param name="CallsInFlight">Calls of the sidecar's clients started and not finished.</param>
/// <param name="Transport">The transport the current instance announced when it became ready.</param>
public sealed record SidecarStatusEntry(
    string Name,
    string State,
    int? Pid,
    string? InstanceId,
    double UptimeSeconds,
    int RestartCount,
    DateTimeOffset? NextRetry,
    int? LastExitCode,
    string? LastError,
    int CallsInFlight,
    string? Transport)
{
    /// <summary>The entry of one snapshot.</summary>
    public static SidecarStatusEntry From(SidecarStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        return new(status.Name, status.State.ToString(), status.Pid, status.InstanceId, Math.Round(status.Uptime.TotalSeconds, 3),
            status.RestartCount, status.NextRetry, status.LastExitCode, status.LastError, status.CallsInFlight, status.ReadyInfo?.Transport);
    }
}

/// <summary>The source-generated serializer of <see cref="SidecarStatusResponse"/> (camelCase, no reflection).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(SidecarStatusResponse))]
public sealed partial class SidecarStatusJsonContext : JsonSerializerContext;
