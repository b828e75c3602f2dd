namespace SidecarKit;

/// <summary>Overrides how one contract method appears on the wire and how it is called.</summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class SidecarMethodAttribute : Attribute
{
    /// <summary>Keeps the default wire name and sets other options only.</summary>
    public SidecarMethodAttribute() { }

    /// <summary>Sets the method's wire name.</summary>
    /// <param name="name">The full wire name, for example <c>demo.sum</c>. A name without a dot is prefixed with the contract name.</param>
    public SidecarMethodAttribute(string name) => Name = name;

    /// <summary>The wire name, or <see langword="null"/> to use the default.</summary>
    public string? Name { get; }

    /// <summary>
    /// The call timeout for this method in milliseconds, overriding the connection's default.
    /// 0 (the default) keeps the connection's default; -1 means no timeout.
    /// </summary>
    public int TimeoutMilliseconds { get; set; }

    /// <summary>
    /// Whether calling the method twice has the same effect as calling it once. Supervised clients retry idempotent
    /// methods once on the next instance when the sidecar crashed during the call.
    /// </summary>
    public bool Idempotent { get; set; }
}
