namespace SidecarKit.Transports.JsonLines;

/// <summary>Limits of the JSON lines protocol.</summary>
public sealed class JsonLinesOptions
{
    /// <summary>The longest line accepted, in bytes, without its newline. Default 16 MiB. A longer line is discarded and answered with -32001.</summary>
    public int MaxMessageSize { get; set; } = 16 * 1024 * 1024;

    /// <summary>The deepest nesting of arrays and objects accepted (the envelope counts as one). Default 64. Deeper input is answered with -32002.</summary>
    public int MaxDepth { get; set; } = 64;
}
