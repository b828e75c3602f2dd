using SidecarKit;

namespace SidecarKit.Tests.Support;

/// <summary>Served by the chaos sidecar next to IDemo: methods to observe which instance answered, one of them idempotent.</summary>
[SidecarContract("chaos")]
public partial interface IChaosControl
{
    /// <summary>Waits, then returns the answering process's pid. Safe to repeat: marked idempotent.</summary>
    [SidecarMethod(Idempotent = true)]
    Task<int> PidAfterAsync(int milliseconds, CancellationToken ct = default);

    /// <summary>The same, not marked idempotent: never retried.</summary>
    Task<int> PidAfterOnceAsync(int milliseconds, CancellationToken ct = default);
}

public sealed class ChaosControl : IChaosControl
{
    public async Task<int> PidAfterAsync(int milliseconds, CancellationToken ct)
    {
        await Task.Delay(milliseconds, ct);
        return Environment.ProcessId;
    }

    public Task<int> PidAfterOnceAsync(int milliseconds, CancellationToken ct) => PidAfterAsync(milliseconds, ct);
}
