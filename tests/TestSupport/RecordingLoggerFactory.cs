using Microsoft.Extensions.Logging;

namespace SidecarKit.Tests.Support;

/// <summary>One entry as it was logged: with its event id, exception and the states of the scopes it was logged in, outermost first.</summary>
public sealed record LogRecord(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception, IReadOnlyList<object> Scopes);

/// <summary>
/// A logger factory that keeps every message (category, level, text), for tests of what is logged. Like
/// Microsoft.Extensions.Logging's factory, its scopes are shared by all its loggers (one async-local stack), so a scope
/// begun on one logger is the scope of every other logger's entries in that flow too. <see cref="MinimumLevel"/>
/// filters like a <c>"Default": "…"</c> rule.
/// </summary>
public sealed class RecordingLoggerFactory(LogLevel minimumLevel = LogLevel.Trace) : ILoggerFactory
{
    private readonly List<LogRecord> _records = [];
    private readonly AsyncLocal<Scope?> _scope = new();

    /// <summary>The lowest level recorded (and enabled).</summary>
    public LogLevel MinimumLevel { get; } = minimumLevel;

    /// <summary>Everything logged so far.</summary>
    public IReadOnlyList<(string Category, LogLevel Level, string Message)> Entries
    {
        get { lock (_records) return [.. _records.Select(r => (r.Category, r.Level, r.Message))]; }
    }

    /// <summary>Everything logged so far, whole.</summary>
    public IReadOnlyList<LogRecord> Records
    {
        get { lock (_records) return [.. _records]; }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public void Dispose() { }

    private sealed class Scope(RecordingLoggerFactory owner, object state, Scope? parent) : IDisposable
    {
        public object State => state;
        public Scope? Parent => parent;

        public void Dispose() => owner._scope.Value = parent;
    }

    private sealed class Logger(RecordingLoggerFactory owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull
            => owner._scope.Value = new Scope(owner, state, owner._scope.Value);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= owner.MinimumLevel;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var scopes = new List<object>();
            for (Scope? s = owner._scope.Value; s is not null; s = s.Parent) scopes.Insert(0, s.State);
            lock (owner._records) owner._records.Add(new LogRecord(category, logLevel, eventId, formatter(state, exception), exception, scopes));
        }
    }
}
