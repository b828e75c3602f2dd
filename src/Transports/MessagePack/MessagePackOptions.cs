namespace SidecarKit.Transports.MessagePack;

/// <summary>Settings of the MessagePack-RPC protocol.</summary>
public sealed class MessagePackOptions
{
    /// <summary>The largest message accepted, in bytes. Default 16 MiB. A larger one closes the connection (a stream of MessagePack objects cannot be resynchronised).</summary>
    public int MaxMessageSize { get; set; } = 16 * 1024 * 1024;

    /// <summary>The deepest nesting of arrays and maps accepted (the envelope counts as one). Default 64.</summary>
    public int MaxDepth { get; set; } = MessagePackWireReader.MaxDepth;

    /// <summary>
    /// How this side writes DTOs. Default <see cref="MessagePackObjectLayout.Map"/>: maps keyed by camelCase member
    /// names, what clients in other languages expect. Reading accepts both layouts whatever this says, so each side
    /// chooses for itself.
    /// </summary>
    public MessagePackObjectLayout ObjectLayout { get; set; } = MessagePackObjectLayout.Map;
}

/// <summary>How DTOs are written in MessagePack.</summary>
public enum MessagePackObjectLayout
{
    /// <summary>A map from each member's camelCase name to its value: self-describing, what polyglot clients read.</summary>
    Map,

    /// <summary>
    /// An array of the member values in declaration order: smaller and faster to write and read, but the reader must
    /// know the contract (another SidecarKit process, or a client that reads by position). Adding a member at the end
    /// stays compatible; reordering or removing one does not.
    /// </summary>
    Array,
}
