using System.Text;
using Microsoft.Extensions.Logging;

namespace SidecarKit.Logging;

/// <summary>
/// One log entry as a sidecar writes it on stderr: the one line format both sides share (the sidecar's
/// <see cref="StderrLoggerProvider"/> writes it, the parent parses it and logs the entry again at its level).
/// </summary>
/// <remarks>
/// <para>The form, one entry per line, still readable by people:</para>
/// <code>
/// &lt;lvl&gt; &lt;category&gt;[&lt;eventId&gt;]: &lt;message&gt;[TAB&lt;exception&gt;]
/// </code>
/// <list type="bullet">
/// <item><c>lvl</c> is one of <c>trce</c>, <c>dbug</c>, <c>info</c>, <c>warn</c>, <c>fail</c>, <c>crit</c> (the tags of
/// the .NET console logger), lower case, followed by one space.</item>
/// <item><c>category</c> has no white space (the writer drops the space after a comma of a generic type name and
/// writes <c>_</c> for any other). <c>[eventId]</c>, a decimal <see cref="int"/>, follows it only when the id is not 0
/// (and always when the category itself ends in <c>]</c>, so the parser never takes part of it for an id).
/// Then <c>": "</c>.</item>
/// <item>The message, then, if there is an exception, a tab and the exception's full text
/// (<see cref="Exception.ToString"/>: type, message, stack trace, inner exceptions).</item>
/// <item>In the message and the exception, <c>\</c> is written <c>\\</c>, a line feed <c>\n</c>, a carriage return
/// <c>\r</c> and a tab <c>\t</c>, so an entry is always one line and the first tab always separates the message from
/// the exception. No other character is escaped; the parser keeps any other <c>\x</c> as it is.</item>
/// </list>
/// <para>For example <c>fail SidecarKit.Connection[1]: The handler of 'demo.sleep' failed.&#9;System.ArgumentOutOfRangeException: ...\n   at ...</c>.
/// A program in another language that writes this form has its levels, categories and exceptions kept by the parent.
/// Lines of any other form are not entries; see <see cref="TryParseLevelPrefix"/> for the simple prefix that still
/// gives them a level.</para>
/// </remarks>
/// <param name="Level">The entry's level (not <see cref="LogLevel.None"/>).</param>
/// <param name="Category">The logger's category.</param>
/// <param name="EventId">The event id; 0 when none.</param>
/// <param name="Message">The message, unescaped.</param>
/// <param name="Exception">The exception's text, unescaped; null when none.</param>
public readonly record struct LogLine(LogLevel Level, string Category, int EventId, string Message, string? Exception)
{
    /// <summary>This entry as a line (without the line's end).</summary>
    public override string ToString() => Format(Level, Category, EventId, Message, Exception);

    /// <summary>Writes an entry as one line (without the line's end).</summary>
    /// <param name="level">The level; not <see cref="LogLevel.None"/>.</param>
    /// <param name="category">The category; white space in it is dropped or replaced (see <see cref="LogLine"/>).</param>
    /// <param name="eventId">The event id; written when not 0.</param>
    /// <param name="message">The message.</param>
    /// <param name="exception">The exception's text (<see cref="System.Exception.ToString"/>), or null.</param>
    public static string Format(LogLevel level, string category, int eventId, string? message, string? exception)
    {
        var line = new StringBuilder(16 + category.Length + (message?.Length ?? 0) + (exception?.Length ?? 0));
        line.Append(Tag(level)).Append(' ');
        AppendCategory(line, category);
        if (eventId != 0 || line[^1] == ']')
            line.Append('[').Append(eventId.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append(']');
        line.Append(": ");
        AppendEscaped(line, message);
        if (exception is not null)
        {
            line.Append('\t');
            AppendEscaped(line, exception);
        }
        return line.ToString();
    }

    /// <summary>Reads a line written by <see cref="Format"/> (or in its form by another program).</summary>
    /// <param name="line">One line, without its end.</param>
    /// <param name="entry">The entry, when the line is one.</param>
    /// <returns>Whether the line has the form of an entry.</returns>
    public static bool TryParse(string? line, out LogLine entry)
    {
        entry = default;
        if (line is null || line.Length < 7 || line[4] != ' ' || !TryParseTag(line.AsSpan(0, 4), out LogLevel level)) return false;
        // The category runs to the first space or tab and ends in ':'.
        int end = line.AsSpan(5).IndexOfAny(' ', '\t');
        end = end < 0 ? line.Length : end + 5;
        if (end - 5 < 2 || line[end - 1] != ':') return false;
        ReadOnlySpan<char> token = line.AsSpan(5, end - 6);
        int eventId = 0;
        if (token[^1] == ']')
        {
            int open = token.LastIndexOf('[');
            if (open > 0 && int.TryParse(token[(open + 1)..^1], System.Globalization.NumberStyles.AllowLeadingSign,
                    System.Globalization.CultureInfo.InvariantCulture, out int id))
            {
                eventId = id;
                token = token[..open];
            }
        }
        // One space after the colon belongs to the form; a tab right after it starts the exception (empty message).
        int start = end < line.Length && line[end] == ' ' ? end + 1 : end;
        ReadOnlySpan<char> rest = line.AsSpan(start);
        int tab = rest.IndexOf('\t');
        string message = Unescape(tab < 0 ? rest : rest[..tab]);
        string? exception = tab < 0 ? null : Unescape(rest[(tab + 1)..]);
        entry = new LogLine(level, token.ToString(), eventId, message, exception is { Length: 0 } ? null : exception);
        return true;
    }

    /// <summary>
    /// The level a line in no particular form asks for with a prefix: <c>trace:</c>, <c>debug:</c>, <c>info:</c>,
    /// <c>warn:</c> or <c>warning:</c>, <c>error:</c> or <c>fail:</c>, <c>crit:</c> or <c>critical:</c> at the very
    /// start of the line, in any case (<c>ERROR: disk full</c>, <c>WARNING:root:slow</c> as Python's logging writes it).
    /// </summary>
    /// <returns>Whether the line starts with one of them.</returns>
    public static bool TryParseLevelPrefix(string? line, out LogLevel level)
    {
        level = LogLevel.Information;
        if (line is null) return false;
        int colon = line.IndexOf(':');
        if (colon is < 4 or > 8) return false;
        ReadOnlySpan<char> word = line.AsSpan(0, colon);
        LogLevel? found = word switch
        {
            _ when word.Equals("trace", StringComparison.OrdinalIgnoreCase) => LogLevel.Trace,
            _ when word.Equals("debug", StringComparison.OrdinalIgnoreCase) => LogLevel.Debug,
            _ when word.Equals("info", StringComparison.OrdinalIgnoreCase) => LogLevel.Information,
            _ when word.Equals("warn", StringComparison.OrdinalIgnoreCase) || word.Equals("warning", StringComparison.OrdinalIgnoreCase) => LogLevel.Warning,
            _ when word.Equals("error", StringComparison.OrdinalIgnoreCase) || word.Equals("fail", StringComparison.OrdinalIgnoreCase) => LogLevel.Error,
            _ when word.Equals("crit", StringComparison.OrdinalIgnoreCase) || word.Equals("critical", StringComparison.OrdinalIgnoreCase) => LogLevel.Critical,
            _ => null,
        };
        if (found is null) return false;
        level = found.Value;
        return true;
    }

    /// <summary>The four letters of <paramref name="level"/>: <c>trce</c>, <c>dbug</c>, <c>info</c>, <c>warn</c>, <c>fail</c>, <c>crit</c>.</summary>
    public static string Tag(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => throw new ArgumentOutOfRangeException(nameof(level), level, "An entry has a level from Trace to Critical."),
    };

    private static bool TryParseTag(ReadOnlySpan<char> tag, out LogLevel level)
    {
        switch (tag)
        {
            case "trce": level = LogLevel.Trace; return true;
            case "dbug": level = LogLevel.Debug; return true;
            case "info": level = LogLevel.Information; return true;
            case "warn": level = LogLevel.Warning; return true;
            case "fail": level = LogLevel.Error; return true;
            case "crit": level = LogLevel.Critical; return true;
            default: level = LogLevel.None; return false;
        }
    }

    private static void AppendCategory(StringBuilder line, string category)
    {
        if (category.Length == 0)
        {
            line.Append('-');
            return;
        }
        for (int i = 0; i < category.Length; i++)
        {
            char c = category[i];
            if (!char.IsWhiteSpace(c) && !char.IsControl(c)) line.Append(c);
            else if (!(c == ' ' && i > 0 && category[i - 1] == ',')) line.Append('_'); // "Cache<Int32, String>" → "Cache<Int32,String>"
        }
    }

    private static void AppendEscaped(StringBuilder line, string? text)
    {
        if (text is null) return;
        int from = 0;
        for (int i = 0; i < text.Length; i++)
        {
            string? escape = text[i] switch { '\\' => @"\\", '\n' => @"\n", '\r' => @"\r", '\t' => @"\t", _ => null };
            if (escape is null) continue;
            line.Append(text, from, i - from).Append(escape);
            from = i + 1;
        }
        line.Append(text, from, text.Length - from);
    }

    private static string Unescape(ReadOnlySpan<char> text)
    {
        int slash = text.IndexOf('\\');
        if (slash < 0) return text.ToString();
        var result = new StringBuilder(text.Length);
        while (slash >= 0)
        {
            result.Append(text[..slash]);
            if (slash + 1 >= text.Length)
            {
                result.Append('\\'); // a lone backslash at the end (a line cut short): kept
                return result.ToString();
            }
            char c = text[slash + 1];
            switch (c)
            {
                case '\\': result.Append('\\'); break;
                case 'n': result.Append('\n'); break;
                case 'r': result.Append('\r'); break;
                case 't': result.Append('\t'); break;
                default: result.Append('\\').Append(c); break; // not an escape of the form: kept as written
            }
            text = text[(slash + 2)..];
            slash = text.IndexOf('\\');
        }
        result.Append(text);
        return result.ToString();
    }
}
