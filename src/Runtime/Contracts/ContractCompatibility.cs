namespace SidecarKit;

/// <summary>
/// How strictly a parent holds a sidecar to the contracts it was built against, checked when the sidecar is ready
/// (see docs/compatibility.md).
/// </summary>
public enum ContractCompatibility
{
    /// <summary>
    /// The default: differences that the rules call compatible (a method one side lacks, an optional parameter or
    /// member, an enum value) start normally and are logged once; a call to a method the sidecar lacks fails at once
    /// with <see cref="SidecarMethodMissingException"/>. A breaking difference fails the start naming the method.
    /// </summary>
    Compatible,

    /// <summary>Both sides must be built from the same contract: any difference in a contract's fingerprint fails the start.</summary>
    Exact,

    /// <summary>Nothing is checked: calls go out as they are, and a mismatch shows as the errors of the calls themselves.</summary>
    None,
}
