namespace SidecarKit;

/// <summary>
/// The sidecar does not serve a contract the way this program expects: it does not serve it at all, or serves another
/// shape of it (a different fingerprint). Thrown by <c>GetClient</c> at once, before any call; a supervisor whose
/// sidecar announces such a mismatch at start goes to <c>Failed</c> with this message (restarting cannot fix a build).
/// </summary>
public sealed class SidecarContractException : SidecarException
{
    /// <summary>Creates the exception.</summary>
    public SidecarContractException(string message, string contractName, IReadOnlyList<string> servedContracts)
        : base(message)
    {
        ContractName = contractName;
        ServedContracts = servedContracts;
    }

    /// <summary>The contract this program asked for.</summary>
    public string ContractName { get; }

    /// <summary>What the sidecar announced it serves (<c>name@fingerprint</c>).</summary>
    public IReadOnlyList<string> ServedContracts { get; }
}
