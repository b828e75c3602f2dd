namespace SidecarKit.Transports.MessagePack;

/// <summary>Limits of the MessagePack-RPC protocol.</summary>
public sealed class MessagePackOptions
{
    /// <summary>The largest message accepted, in bytes. Default 16 MiB. A larger one closes the connection (a stream of MessagePack objects cannot be resynchronised).</summary>
    public int MaxMessageSize { get; set; } = 16 * 1024 * 1024;

    /// <summary>The deepest nesting of arrays and maps accepted (the envelope counts as one). Default 64.</summary>
    public int MaxDepth { get; set; } = MessagePackWireReader.MaxDepth;
}
