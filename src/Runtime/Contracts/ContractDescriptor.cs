namespace SidecarKit;

/// <summary>Describes one contract: its wire name, fingerprint and methods. Emitted by the source generator.</summary>
public sealed class ContractDescriptor
{
    /// <summary>Creates a descriptor. Called by generated code.</summary>
    public ContractDescriptor(string name, string fingerprint, IReadOnlyList<MethodDescriptor> methods, string descriptionJson, Schema.ContractSchema schema)
    {
        Name = name;
        Fingerprint = fingerprint;
        Methods = methods;
        DescriptionJson = descriptionJson;
        Schema = schema ?? throw new ArgumentNullException(nameof(schema));
    }

    /// <summary>The contract's wire name (<c>demo</c>).</summary>
    public string Name { get; }

    /// <summary>
    /// A hash of the contract's wire shape (method names, kinds, parameter and result types). Two builds of the same
    /// contract have the same fingerprint; any change to the wire shape changes it.
    /// </summary>
    public string Fingerprint { get; }

    /// <summary>The contract's methods in declaration order.</summary>
    public IReadOnlyList<MethodDescriptor> Methods { get; }

    /// <summary>The contract described as JSON (what <c>--describe json</c> prints); see <c>docs/protocol.md</c>.</summary>
    public string DescriptionJson { get; }

    /// <summary>The contract's wire shape as a typed model: methods, parameters with field numbers, results, named types.</summary>
    public Schema.ContractSchema Schema { get; }
}
