namespace SidecarKit.Transports.JsonLines;

/// <summary>Limits of the JSON-RPC protocol, on either framing (JSON lines, <c>Content-Length</c> headers).</summary>
public sealed class JsonLinesOptions
{
    /// <summary>
    /// The largest message accepted, in bytes: a line without its newline, or a body without its headers. Default 16 MiB.
    /// A larger one is discarded without being buffered and answered with -32001; the connection stays usable.
    /// </summary>
    public int MaxMessageSize { get; set; } = 16 * 1024 * 1024;

    /// <summary>The deepest nesting of arrays and objects accepted (the envelope counts as one). Default 64. Deeper input is answered with -32002.</summary>
    public int MaxDepth { get; set; } = 64;
}
