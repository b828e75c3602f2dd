using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace SidecarKit.Generator;

/// <summary>Every diagnostic the generator reports. Each is documented, with an example, in docs/diagnostics.md.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "SidecarKit.Contracts";
    private const string HelpBase = "https://github.com/sidecarkit/sidecarkit/blob/main/docs/diagnostics.md#";

    private static DiagnosticDescriptor Error(string id, string title, string message)
        => Create(id, title, message, DiagnosticSeverity.Error);

    private static DiagnosticDescriptor Create(string id, string title, string message, DiagnosticSeverity severity)
        => new(id, title, message, Category, severity, isEnabledByDefault: true, helpLinkUri: HelpBase + id.ToLowerInvariant());

    public static readonly DiagnosticDescriptor ContractNotPartial = Error("SK0001",
        "Contract interface must be partial",
        "The contract interface '{0}' must be declared 'partial' so the generator can add the proxy and dispatcher to it");

    public static readonly DiagnosticDescriptor ContractGeneric = Error("SK0002",
        "Contract interface must not be generic",
        "The contract interface '{0}' has type parameters; a contract's wire shape must be fixed, so declare it without type parameters");

    public static readonly DiagnosticDescriptor ContractNested = Error("SK0003",
        "Contract interface must not be nested",
        "The contract interface '{0}' is declared inside type '{1}'; declare it at namespace level");

    public static readonly DiagnosticDescriptor InvalidContractName = Error("SK0004",
        "Invalid contract name",
        "The contract name '{0}' is not valid: use letters, digits, '_' or '-', starting with a letter, and no '.'");

    public static readonly DiagnosticDescriptor UnsupportedReturnType = Error("SK0005",
        "Unsupported return type",
        "Method '{0}' returns '{1}'; a contract method returns Task, Task<T>, ValueTask, ValueTask<T>, IAsyncEnumerable<T>, or void (a one-way notification)");

    public static readonly DiagnosticDescriptor UnsupportedType = Error("SK0006",
        "Unsupported type on the wire",
        "'{0}' uses type '{1}', which cannot cross the wire: {2}");

    public static readonly DiagnosticDescriptor UnsupportedParameterModifier = Error("SK0007",
        "Unsupported parameter modifier",
        "Parameter '{0}' of method '{1}' is declared '{2}'; contract parameters are passed by value only");

    public static readonly DiagnosticDescriptor MisplacedCancellationToken = Error("SK0008",
        "Misplaced CancellationToken",
        "Method '{0}': {1}");

    public static readonly DiagnosticDescriptor DuplicateWireName = Error("SK0009",
        "Duplicate wire name",
        "Methods '{0}' and '{1}' both have the wire name '{2}'; rename one or give it another name with [SidecarMethod(\"…\")]");

    public static readonly DiagnosticDescriptor GenericMethod = Error("SK0010",
        "Contract method must not be generic",
        "Method '{0}' has type parameters; a contract method's wire shape must be fixed");

    public static readonly DiagnosticDescriptor UnsupportedMember = Error("SK0011",
        "Contract interface may declare only methods",
        "'{0}' is {1}; a contract interface may declare only methods (no properties, events, static or default-implemented members)");

    public static readonly DiagnosticDescriptor NoConstructor = Error("SK0012",
        "Type cannot be constructed when read",
        "Type '{0}' has no public parameterless constructor and no public constructor whose parameters all match its properties by name and type");

    public static readonly DiagnosticDescriptor DuplicateMemberName = Error("SK0013",
        "Duplicate member wire name",
        "Type '{0}' has two members with the wire name '{1}' ('{2}' and '{3}')");

    public static readonly DiagnosticDescriptor StreamParameter = Error("SK0014",
        "Invalid streaming parameter",
        "Parameter '{0}' of method '{1}' cannot be streamed: {2}");

    public static readonly DiagnosticDescriptor InvalidMethodName = Error("SK0015",
        "Invalid method wire name",
        "The wire name '{0}' of method '{1}' is not valid: it must not be empty, contain white space, or start with 'rpc.', '$/', 'system.' or 'lifecycle.', which are reserved");

    public static readonly DiagnosticDescriptor InvalidFieldNumber = Error("SK0016",
        "Invalid field number",
        "'{0}' of '{1}': {2}");

    public static readonly DiagnosticDescriptor DuplicateContractName = Error("SK0017",
        "Duplicate contract name",
        "Contracts '{0}' and '{1}' both have the contract name '{2}'; every contract in a compilation needs its own name in [SidecarContract(\"…\")]");

    public static readonly DiagnosticDescriptor BaseInterface = Error("SK0018",
        "Contract interface must not inherit a generic interface",
        "contract '{0}' inherits '{1}': a contract's base interfaces must not be generic; declare the methods with their types in a non-generic base interface or in the contract");

    public static readonly DiagnosticDescriptor MissingCancellationToken = Create("SK0019",
        "Contract method has no CancellationToken",
        "Method '{0}' has no CancellationToken parameter: add 'CancellationToken cancellationToken = default' as its last parameter so callers can cancel the call and the callee can observe it",
        DiagnosticSeverity.Info);

    public static readonly DiagnosticDescriptor UnsealedType = Create("SK0020",
        "Type on the wire is not sealed",
        "Type '{0}' is not sealed: a derived type passed as '{0}' cannot be sent unless declared: only the members of '{0}' travel, and the codec refuses a derived instance at run time; declare it 'sealed', or declare its derived types with [SidecarDerivedType]",
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor TruncatedDerivedType = Error("SK0021",
        "Derived type of a type on the wire",
        "Type '{0}' derives from '{1}', which contract '{2}' sends or receives, but '{1}' does not declare it: a '{0}' passed as '{1}' cannot be sent, and the codec refuses it at run time; add [SidecarDerivedType(typeof({0}), \"...\")] to '{1}'");

    // One id, two wordings ({2}): a member or parameter whose number is reserved, or a reserved number that cannot be one.
    public static readonly DiagnosticDescriptor ReservedFieldNumber = Error("SK0022",
        "Reserved field number",
        "Field number {0} of '{1}' {2}");

    // SK0023 to SK0025: the [SidecarDerivedType] declarations on a base type (polymorphism).
    public static readonly DiagnosticDescriptor InvalidDerivedType = Error("SK0023",
        "Invalid derived type declaration",
        "[SidecarDerivedType(typeof({0}))] on '{1}': {2}");

    public static readonly DiagnosticDescriptor InvalidDiscriminator = Error("SK0024",
        "Invalid type discriminator",
        "The discriminator \"{0}\" of '{1}' on '{2}' {3}");

    public static readonly DiagnosticDescriptor InvalidDerivedTypeTag = Error("SK0025",
        "Invalid derived type tag",
        "The tag {0} of '{1}' on '{2}' {3}");

    public static readonly DiagnosticDescriptor ProgressParameter = Error("SK0026",
        "Invalid progress parameter",
        "Parameter '{0}' of method '{1}' cannot report progress: {2}");

    public static readonly DiagnosticDescriptor InvalidDeclaredError = Error("SK0027",
        "Invalid declared error",
        "Error code {0} cannot be declared on method '{1}': {2}");

    /// <summary>Whether a diagnostic of this id stops the contract from being generated.</summary>
    public static bool IsError(string id) => ById(id).DefaultSeverity == DiagnosticSeverity.Error;

    public static IReadOnlyList<DiagnosticDescriptor> All { get; } = new[]
    {
        ContractNotPartial, ContractGeneric, ContractNested, InvalidContractName, UnsupportedReturnType, UnsupportedType,
        UnsupportedParameterModifier, MisplacedCancellationToken, DuplicateWireName, GenericMethod, UnsupportedMember,
        NoConstructor, DuplicateMemberName, StreamParameter, InvalidMethodName, InvalidFieldNumber, DuplicateContractName,
        BaseInterface, MissingCancellationToken, UnsealedType, TruncatedDerivedType, ReservedFieldNumber,
        InvalidDerivedType, InvalidDiscriminator, InvalidDerivedTypeTag, ProgressParameter, InvalidDeclaredError,
    };

    public static DiagnosticDescriptor ById(string id) => All.First(d => d.Id == id);
}
