namespace SidecarKit;

/// <summary>
/// Fixes the field number of a parameter or DTO member in the Protocol Buffers mapping (<c>--describe proto</c>, the gRPC
/// transport). Without it a field's number is its position in declaration order, counted from 1; pin numbers before
/// reordering or removing members of a published contract. Other transports ignore it.
/// </summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Property, Inherited = false)]
public sealed class SidecarFieldAttribute(int number) : Attribute
{
    /// <summary>The field number: 1 to 536,870,911, not 19,000 to 19,999 (reserved by Protocol Buffers).</summary>
    public int Number { get; } = number;
}
