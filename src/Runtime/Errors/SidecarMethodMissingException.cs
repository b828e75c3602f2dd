namespace SidecarKit;

/// <summary>
/// A call of a method that the sidecar announced it does not have (it was built from an older or newer version of the
/// contract). Thrown at once, without a round trip, when the parent's contract check is
/// <see cref="ContractCompatibility.Compatible"/>.
/// </summary>
public sealed class SidecarMethodMissingException : SidecarException
{
    /// <summary>Creates the exception.</summary>
    public SidecarMethodMissingException(string sidecarName, string? sidecarVersion, string methodName)
        : base($"The sidecar '{sidecarName}'{(string.IsNullOrEmpty(sidecarVersion) ? "" : $" (version {sidecarVersion})")} does not have the method " +
            $"'{methodName}': it was built from another version of the contract. Update the sidecar, or call only what both sides have (docs/compatibility.md).")
    {
        SidecarName = sidecarName;
        SidecarVersion = sidecarVersion;
        MethodName = methodName;
    }

    /// <summary>The sidecar's name.</summary>
    public string SidecarName { get; }

    /// <summary>The version the sidecar announced when it was ready, if any.</summary>
    public string? SidecarVersion { get; }

    /// <summary>The method's wire name (<c>demo.work</c>).</summary>
    public string MethodName { get; }
}
