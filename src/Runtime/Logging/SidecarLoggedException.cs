namespace SidecarKit.Logging;

/// <summary>
/// An exception a sidecar logged, as the parent logs the entry again: the sidecar's own exception does not exist in
/// this process, so this one carries its text. <see cref="ToString"/> is that text, unchanged (the remote type,
/// message, stack trace and inner exceptions), so every formatter that prints an entry's exception prints the
/// sidecar's; <see cref="RemoteType"/>, <see cref="Exception.Message"/> and <see cref="StackTrace"/> are read from it.
/// </summary>
/// <remarks>
/// Never thrown by SidecarKit: it exists to be the exception of a log entry, so that sinks which treat an entry with
/// an exception differently (exception telemetry, <c>exception.*</c> attributes) still do.
/// </remarks>
public sealed class SidecarLoggedException : Exception
{
    private readonly string? _stackTrace;

    /// <summary>Creates the exception from the text the sidecar logged.</summary>
    /// <param name="text">The sidecar's <c>exception.ToString()</c> (or another language's equivalent).</param>
    public SidecarLoggedException(string text) : base(FirstLine(text, out string? type, out string? rest))
    {
        Text = text;
        RemoteType = type;
        _stackTrace = rest;
    }

    /// <summary>The text the sidecar logged, whole.</summary>
    public string Text { get; }

    /// <summary>
    /// The type of the sidecar's exception, as its text names it (<c>System.DivideByZeroException</c>): the part of
    /// the first line before <c>": "</c> when that part has no spaces; otherwise null.
    /// </summary>
    public string? RemoteType { get; }

    /// <summary>The text after the first line: the sidecar's stack trace, inner exceptions included; null when none.</summary>
    public override string? StackTrace => _stackTrace;

    /// <summary>The text the sidecar logged, whole.</summary>
    public override string ToString() => Text;

    private static string FirstLine(string text, out string? type, out string? rest)
    {
        ArgumentNullException.ThrowIfNull(text);
        int end = text.IndexOf('\n');
        string first = (end < 0 ? text : text[..end]).TrimEnd('\r');
        rest = end < 0 || end + 1 == text.Length ? null : text[(end + 1)..];
        int colon = first.IndexOf(": ", StringComparison.Ordinal);
        if (colon > 0 && !first.AsSpan(0, colon).ContainsAny(' ', '\t'))
        {
            type = first[..colon];
            return first[(colon + 2)..];
        }
        // A type alone ("System.Exception" with an empty message), else a first line that names no type.
        type = !first.AsSpan().ContainsAny(' ', '\t') && (first.EndsWith("Exception", StringComparison.Ordinal) || first.EndsWith("Error", StringComparison.Ordinal))
            ? first : null;
        return type is null ? first : "";
    }
}
