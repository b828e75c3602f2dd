namespace SidecarKit.Generator.Model;

/// <summary>Everything the emitter needs to know about one contract: plain values, no symbols.</summary>
internal sealed record ContractModel(
    string? Namespace,
    string InterfaceName,
    string FullyQualifiedName,
    string WireName,
    EquatableArray<MethodModel> Methods,
    EquatableArray<CodecModel> Codecs,
    EquatableArray<NamedTypeModel> Types,
    string DescriptionJson,
    string Fingerprint);
