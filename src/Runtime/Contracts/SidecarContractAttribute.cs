namespace SidecarKit;

/// <summary>
/// Marks a <c>partial</c> interface as a sidecar contract. The SidecarKit source generator emits, at build time,
/// a client proxy, a dispatcher and wire codecs for it, and makes the interface implement
/// <see cref="ISidecarContract{TSelf}"/>.
/// </summary>
/// <remarks>
/// Method wire names are <c>&lt;name&gt;.&lt;method&gt;</c>, where the method part is the C# name in camelCase with a
/// trailing <c>Async</c> removed (<c>AddAsync</c> on contract <c>demo</c> is <c>demo.add</c>). Override one with
/// <see cref="SidecarMethodAttribute"/>.
/// </remarks>
[AttributeUsage(AttributeTargets.Interface, Inherited = false)]
public sealed class SidecarContractAttribute : Attribute
{
    /// <summary>Creates the attribute.</summary>
    /// <param name="name">The contract's wire name: the prefix of every method name (for example <c>demo</c>).</param>
    public SidecarContractAttribute(string name) => Name = name;

    /// <summary>The contract's wire name.</summary>
    public string Name { get; }
}
