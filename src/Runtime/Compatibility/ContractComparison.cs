namespace SidecarKit.Compatibility;

/// <summary>
/// What differs between the caller's and the server's build of one contract, sorted by what it means: methods one
/// side lacks (compatible: a call to such a method fails at once), breaking differences (the start fails) and
/// compatible ones worth a log line (a member one side ignores, an enum value one side does not know).
/// </summary>
/// <param name="MissingOnServer">Methods the caller has and the server lacks.</param>
/// <param name="MissingOnCaller">Methods the server has and the caller lacks.</param>
/// <param name="Breaking">Each incompatible difference, naming the method and what differs.</param>
/// <param name="Notes">Each compatible difference in shape.</param>
/// <param name="ShapesCompared">Whether the server announced its shapes (false: method presence only).</param>
internal sealed record ContractComparison(
    IReadOnlyList<string> MissingOnServer,
    IReadOnlyList<string> MissingOnCaller,
    IReadOnlyList<string> Breaking,
    IReadOnlyList<string> Notes,
    bool ShapesCompared)
{
    /// <summary>Nothing differs that anybody needs to hear about.</summary>
    public bool IsSame => MissingOnServer.Count == 0 && MissingOnCaller.Count == 0 && Breaking.Count == 0 && Notes.Count == 0;
}
