namespace SidecarKit.Compatibility;

/// <summary>How a format finds a parameter or a member on the wire, which decides what a rename or a move breaks.</summary>
internal enum FieldKey
{
    /// <summary>By wire name (JSON objects, MessagePack maps): a rename breaks, a move does not.</summary>
    Name,
    /// <summary>By field number (Protocol Buffers): a new number breaks, a rename does not.</summary>
    Number,
    /// <summary>By position (MessagePack-RPC's params array): a move breaks, a rename does not.</summary>
    Position,
}

/// <summary>How a transport lays out a call's parameters and a DTO's members.</summary>
/// <param name="Params">How parameters are found.</param>
/// <param name="Members">How DTO members are found.</param>
internal readonly record struct WireLayout(FieldKey Params, FieldKey Members)
{
    /// <summary>The layout of the transport a sidecar announced (<c>jsonl</c>, <c>msgpack-unix</c>, <c>grpc</c>…); by name when unknown.</summary>
    public static WireLayout For(string? transport) => transport switch
    {
        not null when transport.StartsWith("grpc", StringComparison.Ordinal) => new(FieldKey.Number, FieldKey.Number),
        not null when transport.StartsWith("msgpack", StringComparison.Ordinal) => new(FieldKey.Position, FieldKey.Name),
        _ => new(FieldKey.Name, FieldKey.Name),
    };
}
