namespace SidecarKit.Probes;

/// <summary><see cref="SidecarProbe.Started"/>: started is ready.</summary>
internal sealed class StartedProbe : SidecarProbe
{
    public static StartedProbe Instance { get; } = new();

    private StartedProbe() { }

    public override string Description => "the process has started";

    public override ValueTask<SidecarProbeResult> CheckAsync(SidecarProbeContext context, CancellationToken cancellationToken)
        => ValueTask.FromResult(SidecarProbeResult.Pass);
}
