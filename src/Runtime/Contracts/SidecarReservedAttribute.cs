namespace SidecarKit;

/// <summary>
/// Reserves the Protocol Buffers field numbers of removed fields so they are never reused: on a DTO, the numbers of
/// members no longer declared; on a contract method, the numbers of parameters no longer declared. A member or
/// parameter whose number (its <see cref="SidecarFieldAttribute"/> pin, else its position) is reserved is a build error
/// (SK0022): pin it to another number. The <c>.proto</c> export (<c>--describe proto</c>, the gRPC transport) writes the
/// numbers as a <c>reserved</c> statement of the message; other transports ignore it.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Method, Inherited = false)]
public sealed class SidecarReservedAttribute(params int[] numbers) : Attribute
{
    /// <summary>
    /// The reserved field numbers: each 1 to 536,870,911, not 19,000 to 19,999 (reserved by Protocol Buffers). A
    /// number outside these is a build error (SK0022).
    /// </summary>
    public IReadOnlyList<int> Numbers { get; } = numbers ?? [];
}
