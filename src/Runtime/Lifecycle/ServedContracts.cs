namespace SidecarKit.Lifecycle;

/// <summary>
/// What a sidecar's ready payload says about a contract this program wants: served with the same fingerprint, served
/// with another, or not served. One rule for <c>SidecarProcess.GetClient</c> and the supervisor's start.
/// </summary>
internal static class ServedContracts
{
    // Every SidecarKit sidecar serves these without announcing them.
    private static readonly HashSet<string> s_builtIn = ["system", "lifecycle"];

    /// <summary>The mismatch, or null when the sidecar serves <paramref name="expected"/> as built here (or announced no list).</summary>
    public static SidecarContractException? Check(string sidecar, SidecarReadyInfo info, ContractDescriptor expected)
    {
        if (info.Contracts is not { } served || s_builtIn.Contains(expected.Name)) return null;
        IReadOnlyList<string> list = [.. served.Select(c => $"{c.Name}@{c.Fingerprint}")];
        SidecarContractInfo? announced = served.FirstOrDefault(c => c.Name == expected.Name);
        if (announced is null)
            return new SidecarContractException(
                $"The sidecar '{sidecar}' does not serve contract '{expected.Name}'; it serves {(list.Count == 0 ? "no contract" : string.Join(", ", list))}. " +
                "Register it on the sidecar (builder.AddContract<T>()) or start the sidecar that serves it.", expected.Name, list);
        if (announced.Fingerprint != expected.Fingerprint)
            return new SidecarContractException(
                $"The sidecar '{sidecar}' serves contract '{expected.Name}' with fingerprint {announced.Fingerprint}, but this program was built against " +
                $"fingerprint {expected.Fingerprint}: the two sides disagree on its wire shape. Rebuild them from the same contract.", expected.Name, list);
        return null;
    }
}
