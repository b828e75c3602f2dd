using SidecarKit.Compatibility;
using SidecarKit.Rpc;

namespace SidecarKit.Lifecycle;

/// <summary>What the check of one contract against a sidecar's announcement decided.</summary>
/// <param name="Error">Why the contract cannot be used with this sidecar, or null.</param>
/// <param name="MissingOnSidecar">Methods this program has and the sidecar lacks: their calls fail at once.</param>
/// <param name="Report">The compatible differences, worth logging once; null when there are none.</param>
internal sealed record NegotiatedContract(SidecarContractException? Error, IReadOnlyList<string> MissingOnSidecar, string? Report)
{
    public static readonly NegotiatedContract Same = new(null, [], null);
}

/// <summary>What the check of the callback contracts a sidecar calls found.</summary>
internal sealed class CallbackCheck
{
    /// <summary>One message per callback contract the sidecar calls that this program did not register.</summary>
    public List<string> Unregistered { get; } = [];

    /// <summary>The first callback contract this program serves incompatibly with the sidecar's calls, or null.</summary>
    public string? Breaking { get; set; }

    /// <summary>The compatible differences, one line per contract.</summary>
    public List<string> Reports { get; } = [];
}

/// <summary>
/// The handshake's contract check: what a sidecar's ready payload says about the contracts this program calls on it
/// and the callback contracts it calls here, under the rules of docs/compatibility.md. One rule for
/// <c>SidecarProcess</c> and the supervisor.
/// </summary>
internal static class ServedContracts
{
    // Every SidecarKit sidecar serves these without announcing them.
    private static readonly HashSet<string> s_builtIn = ["system", "lifecycle"];

    private const string Rules = "See docs/compatibility.md for the changes that keep both sides compatible, and how to roll out one that does not.";

    /// <summary>Checks a contract this program calls on the sidecar.</summary>
    public static NegotiatedContract Negotiate(string sidecar, SidecarReadyInfo info, ContractDescriptor expected, ContractCompatibility mode)
    {
        if (mode == ContractCompatibility.None || info.Contracts is not { } served || s_builtIn.Contains(expected.Name)) return NegotiatedContract.Same;
        IReadOnlyList<string> list = [.. served.Select(c => c.ToString())];
        SidecarContractInfo? announced = served.FirstOrDefault(c => c.Name == expected.Name);
        if (announced is null)
            return Refused(new SidecarContractException(
                $"The sidecar '{sidecar}' does not serve contract '{expected.Name}'; it serves {(list.Count == 0 ? "no contract" : string.Join(", ", list))}. " +
                "Register it on the sidecar (builder.AddContract<T>()) or start the sidecar that serves it.", expected.Name, list));
        if (announced.Fingerprint == expected.Fingerprint) return NegotiatedContract.Same;
        string who = Who(sidecar, info);
        if (mode == ContractCompatibility.Exact)
            return Refused(new SidecarContractException(
                $"{who} serves contract '{expected.Name}' with fingerprint {announced.Fingerprint ?? "(none announced)"}, but this program was built against " +
                $"fingerprint {expected.Fingerprint}, and its ContractCompatibility is Exact. Rebuild them from the same contract, or accept " +
                "compatible differences (ContractCompatibility.Compatible).", expected.Name, list));
        if (announced.Methods is null)
        {
            // Named alone (a hand-written sidecar): nothing to compare. A fingerprint without the methods (a SidecarKit
            // older than the shapes in the handshake) says only that the shapes differ, not how: refused.
            return announced.Fingerprint is null ? NegotiatedContract.Same : Refused(new SidecarContractException(
                $"{who} serves contract '{expected.Name}' with fingerprint {announced.Fingerprint}, but this program was built against fingerprint " +
                $"{expected.Fingerprint}, and the sidecar does not announce its methods, so the two cannot be compared. Rebuild them from the same " +
                "contract, or update the sidecar to a SidecarKit that announces its contracts' shapes.", expected.Name, list));
        }
        ContractComparison diff;
        try
        {
            diff = ContractComparer.Compare(expected.Schema, ContractShapes.ToSchema(announced), [.. announced.Methods.Select(m => m.Name)],
                WireLayout.For(info.Transport), "this program", "the sidecar");
        }
        catch (FormatException e)
        {
            return Refused(new SidecarContractException($"{who} announced contract '{expected.Name}' in a shape this program cannot read: {e.Message}", expected.Name, list));
        }
        if (diff.Breaking.Count > 0)
            return Refused(new SidecarContractException(
                $"{who} serves contract '{expected.Name}' incompatibly with this program: {string.Join("; ", diff.Breaking)}. {Rules}", expected.Name, list));
        return new NegotiatedContract(null, diff.MissingOnServer, Report(who, expected.Name, diff, server: "the sidecar"));
    }

    /// <summary>
    /// Checks the callback contracts the sidecar announced it calls against the ones this program serves: those not
    /// registered here, the first one served incompatibly, and the compatible differences worth a log line.
    /// </summary>
    public static CallbackCheck CheckCallbacks(string sidecar, SidecarReadyInfo info, RpcHandlerTable callbacks, ContractCompatibility mode)
    {
        var result = new CallbackCheck();
        if (mode == ContractCompatibility.None || info.Callbacks is not { Count: > 0 } wanted) return result;
        string who = Who(sidecar, info);
        foreach (SidecarContractInfo call in wanted)
        {
            ContractDescriptor? served = callbacks.Contracts.FirstOrDefault(d => d.Name == call.Name);
            if (served is null)
            {
                result.Unregistered.Add($"{who} calls the callback contract '{call.Name}' on its parent, which this program does not serve: register it " +
                    $"with Callbacks.AddContract<T>(implementation), T being the contract named '{call.Name}' (or set RequireCallbacks to false to start without it).");
                continue;
            }
            if (call.Fingerprint == served.Fingerprint) continue;
            if (mode == ContractCompatibility.Exact)
            {
                result.Breaking ??= $"{who} calls callback contract '{call.Name}' with fingerprint {call.Fingerprint ?? "(none announced)"}, but this program " +
                    $"serves fingerprint {served.Fingerprint}, and its ContractCompatibility is Exact.";
                continue;
            }
            if (call.Methods is null) continue;
            ContractComparison diff;
            try
            {
                IReadOnlyList<string> servedMethods = [.. served.Schema.Methods.Select(m => m.WireName)];
                diff = ContractShapes.ToSchema(call) is { } calling
                    ? ContractComparer.Compare(calling, served.Schema, servedMethods, WireLayout.For(info.Transport), "the sidecar", "this program")
                    : ContractComparer.Compare(Names(call), null, servedMethods, default, "the sidecar", "this program");
            }
            catch (FormatException e)
            {
                result.Breaking ??= $"{who} announced callback contract '{call.Name}' in a shape this program cannot read: {e.Message}";
                continue;
            }
            if (diff.Breaking.Count > 0)
                result.Breaking ??= $"{who} calls callback contract '{call.Name}' incompatibly with what this program serves: {string.Join("; ", diff.Breaking)}. {Rules}";
            else if (Report(who, call.Name, diff, server: "this program") is { } report)
                result.Reports.Add(report);
        }
        return result;
    }

    // A caller announced by method names alone: its names, for a comparison of presence only.
    private static Schema.ContractSchema Names(SidecarContractInfo info)
        => new([.. info.Methods!.Select(m => new Schema.MethodSchema(m.Name, MethodKind.Unary, [], null))], []);

    private static NegotiatedContract Refused(SidecarContractException e) => new(e, [], null);

    private static string Who(string sidecar, SidecarReadyInfo info)
        => string.IsNullOrEmpty(info.Version) ? $"The sidecar '{sidecar}'" : $"The sidecar '{sidecar}' (version {info.Version})";

    private static string? Report(string who, string contract, ContractComparison diff, string server)
    {
        if (diff.IsSame) return null;
        var parts = new List<string>();
        if (diff.MissingOnServer.Count > 0)
            parts.Add($"missing on {server}: {string.Join(", ", diff.MissingOnServer)} " +
                (server == "the sidecar" ? "(calls fail at once)" : $"(the sidecar's calls of {(diff.MissingOnServer.Count == 1 ? "it" : "them")} get 'method not found')"));
        if (diff.MissingOnCaller.Count > 0) parts.Add($"only on {server}: {string.Join(", ", diff.MissingOnCaller)}");
        parts.AddRange(diff.Notes);
        if (!diff.ShapesCompared) parts.Add("the shapes were not announced, so only the methods' presence was compared");
        return $"{who} and this program differ compatibly on contract '{contract}': {string.Join("; ", parts)}.";
    }
}
