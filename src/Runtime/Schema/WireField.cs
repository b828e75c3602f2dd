namespace SidecarKit.Schema;

/// <summary>
/// A parameter or a DTO member: its wire name, type and field number. The generator fixes the number (the
/// <c>[SidecarField]</c> pin, else the position from 1): it is decided in one place and read everywhere else.
/// </summary>
/// <param name="Name">The wire name (camelCase by default).</param>
/// <param name="Type">The wire type.</param>
/// <param name="Number">The field number (Protocol Buffers), from 1.</param>
/// <param name="IsOptional">It may be absent on the wire: a parameter with a default value, or a DTO member that reading does not require.</param>
public sealed record WireField(string Name, WireType Type, int Number, bool IsOptional = false);
