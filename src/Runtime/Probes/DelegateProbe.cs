namespace SidecarKit.Probes;

/// <summary><see cref="SidecarProbe.Delegate"/>: the application's own check.</summary>
internal sealed class DelegateProbe : SidecarProbe
{
    private readonly Func<CancellationToken, ValueTask<bool>> _check;

    public DelegateProbe(string description, Func<CancellationToken, ValueTask<bool>> check)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(description);
        ArgumentNullException.ThrowIfNull(check);
        Description = description;
        _check = check;
    }

    public override string Description { get; }

    public override async ValueTask<SidecarProbeResult> CheckAsync(SidecarProbeContext context, CancellationToken cancellationToken)
    {
        try
        {
            return await _check(cancellationToken).ConfigureAwait(false)
                ? SidecarProbeResult.Pass
                : SidecarProbeResult.Fail("the check returned false");
        }
        catch (Exception e) when (IsFailure(e, cancellationToken))
        {
            return SidecarProbeResult.Fail($"{e.GetType().Name}: {e.Message}");
        }
    }
}
