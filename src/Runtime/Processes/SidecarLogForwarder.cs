using System.Collections;
using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using SidecarKit.Logging;

namespace SidecarKit.Processes;

/// <summary>
/// Logs a sidecar's output lines in the parent. A line of the <see cref="LogLine"/> form (a SidecarKit sidecar's, or
/// another program's that writes it) is logged again as the entry it was: its level, its event id, its message, its
/// exception (a <see cref="SidecarLoggedException"/>), under the category
/// <c>SidecarKit.Sidecar.&lt;sidecar name&gt;.&lt;its category&gt;</c>. Any other line is logged as it is under
/// <c>SidecarKit.Sidecar</c> (<c>"{Sidecar}: {Line}"</c>), at Information unless it starts with a level prefix
/// (<see cref="LogLine.TryParseLevelPrefix"/>). A plain program's lines are never read as entries, only for the prefix.
/// </summary>
/// <remarks>
/// Categories under <c>SidecarKit.Sidecar</c>, so a filter on <c>SidecarKit.Sidecar</c> covers everything every sidecar
/// writes and one on <c>SidecarKit.Sidecar.ocr</c> one sidecar's entries. A logger factory keeps the loggers it made for
/// its life, so a sidecar gets at most <see cref="MaxCategories"/> categories of its own; entries of more go to
/// <c>SidecarKit.Sidecar.&lt;name&gt;</c>.
/// </remarks>
internal sealed class SidecarLogForwarder
{
    public const string CategoryPrefix = "SidecarKit.Sidecar";
    public const int MaxCategories = 256;

    private readonly ILoggerFactory? _factory;
    private readonly ILogger _lines;
    private readonly string _name;
    private readonly bool _plain;
    private readonly ConcurrentDictionary<string, ILogger> _loggers = new(StringComparer.Ordinal);

    public SidecarLogForwarder(ILoggerFactory? factory, ILogger lines, string name, bool plain)
    {
        _factory = factory;
        _lines = lines;
        _name = name;
        _plain = plain;
    }

    public void Forward(string line, string stream)
    {
        if (_factory is null) return;
        if (!_plain && LogLine.TryParse(line, out LogLine entry))
        {
            ILogger logger = LoggerFor(entry.Category);
            if (!logger.IsEnabled(entry.Level)) return;
            Exception? exception = entry.Exception is null ? null : new SidecarLoggedException(entry.Exception);
            logger.Log(entry.Level, new EventId(entry.EventId), new SidecarLogMessage(entry.Message), exception, SidecarLogMessage.Format);
            return;
        }
        LogLine.TryParseLevelPrefix(line, out LogLevel level);
        if (!_lines.IsEnabled(level)) return;
        // A plain program's two streams are both its output, so each line says which; a SidecarHost sidecar logs on
        // stderr only (its stdout is the protocol, or quiet on a socket carrier).
        if (_plain) _lines.Log(level, "{Sidecar} ({Stream}): {Line}", _name, stream, line);
        else _lines.Log(level, "{Sidecar}: {Line}", _name, line);
    }

    private ILogger LoggerFor(string category)
    {
        if (_loggers.TryGetValue(category, out ILogger? logger)) return logger;
        if (_loggers.Count >= MaxCategories) category = "";
        return _loggers.GetOrAdd(category, c => _factory!.CreateLogger(c.Length == 0 ? $"{CategoryPrefix}.{_name}" : $"{CategoryPrefix}.{_name}.{c}"));
    }
}

/// <summary>
/// The scope of a sidecar's output lines in the parent: which sidecar, its pid, which stream. Structured as
/// <c>sidecar</c>, <c>pid</c>, <c>stream</c>; printed as <c>sidecar=demo pid=1234 stream=stderr</c>.
/// </summary>
internal sealed class SidecarLogScope(string sidecar, int pid, string stream) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public int Count => 3;

    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new("sidecar", sidecar),
        1 => new("pid", pid),
        2 => new("stream", stream),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (int i = 0; i < Count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"sidecar={sidecar} pid={pid} stream={stream}");
}

/// <summary>
/// The state of an entry a sidecar logged: its message, as the value <c>Message</c> of the template <c>{Message}</c>
/// (the message is text already formatted by the sidecar, not a template: braces in it stay as they are).
/// </summary>
internal sealed class SidecarLogMessage(string message) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public static readonly Func<SidecarLogMessage, Exception?, string> Format = (state, _) => state.ToString();

    public int Count => 2;

    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new("Message", message),
        1 => new("{OriginalFormat}", "{Message}"),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (int i = 0; i < Count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => message;
}
