namespace SidecarKit.Generator.Model;

/// <summary>Everything the emitter needs to know about one contract: plain values, no symbols.</summary>
/// <param name="Methods">The contract's methods, the inherited ones (from its base interfaces) first.</param>
/// <param name="Disposable">Whether the contract extends <c>IDisposable</c> (the proxy's Dispose releases nothing).</param>
/// <param name="AsyncDisposable">Whether the contract extends <c>IAsyncDisposable</c> (likewise).</param>
internal sealed record ContractModel(
    string? Namespace,
    string InterfaceName,
    string FullyQualifiedName,
    string WireName,
    EquatableArray<MethodModel> Methods,
    EquatableArray<CodecModel> Codecs,
    EquatableArray<NamedTypeModel> Types,
    string DescriptionJson,
    string Fingerprint,
    bool Disposable = false,
    bool AsyncDisposable = false);
