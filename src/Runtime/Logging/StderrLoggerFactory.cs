using Microsoft.Extensions.Logging;

namespace SidecarKit.Logging;

/// <summary>
/// The sidecar's logger factory: every entry goes to stderr (<see cref="StderrLoggerProvider"/>, in the form of
/// <see cref="LogLine"/>, for the parent to read), and to every provider added with <see cref="AddProvider"/>.
/// </summary>
/// <remarks>
/// <para>A small fan-out, not <c>Microsoft.Extensions.Logging.LoggerFactory</c>: the runtime depends on the logging
/// abstractions only, and stays trim- and NativeAOT-clean. As in that factory, a provider added later reaches the
/// loggers created before it too, a provider that implements <see cref="ISupportExternalScope"/> gets the scopes of
/// <see cref="ILogger.BeginScope{TState}"/> through one shared <see cref="LoggerExternalScopeProvider"/> (the stderr
/// lines carry no scopes), an exception thrown by one provider's logger does not keep the others from logging (they are
/// thrown together afterwards, as an <see cref="AggregateException"/>), and <see cref="Dispose"/> disposes the added
/// providers.</para>
/// <para>The level given here (the sidecar's <c>--log-level</c>) is the minimum for every provider: entries below it
/// reach none. A provider may still filter more of its own.</para>
/// </remarks>
public sealed class StderrLoggerFactory : ILoggerFactory
{
    private readonly StderrLoggerProvider _stderr;
    private readonly LogLevel _minimum;
    private readonly object _gate = new();
    private readonly Dictionary<string, FanOutLogger> _loggers = new(StringComparer.Ordinal);
    private readonly List<ILoggerProvider> _added = [];
    private volatile LoggerExternalScopeProvider? _scopes;   // set once an added provider takes external scopes
    private bool _disposed;

    /// <summary>Creates the factory and its stderr provider.</summary>
    /// <param name="minimum">The lowest level logged, by stderr and by every added provider.</param>
    public StderrLoggerFactory(LogLevel minimum) : this(minimum, null) { }

    /// <summary>Creates the factory with its "stderr" provider writing to <paramref name="output"/> (tests).</summary>
    internal StderrLoggerFactory(LogLevel minimum, TextWriter? output)
    {
        _minimum = minimum;
        _stderr = new StderrLoggerProvider(minimum, output);
    }

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName)
    {
        ArgumentNullException.ThrowIfNull(categoryName);
        lock (_gate)
        {
            if (!_loggers.TryGetValue(categoryName, out FanOutLogger? logger))
            {
                var inner = new List<Inner>(1 + _added.Count) { new(_stderr.CreateLogger(categoryName), ExternalScope: false) };
                foreach (ILoggerProvider provider in _added)
                    inner.Add(new(provider.CreateLogger(categoryName), provider is ISupportExternalScope));
                _loggers[categoryName] = logger = new FanOutLogger(this, categoryName, [.. inner]);
            }
            return logger;
        }
    }

    /// <summary>
    /// Adds a provider: from now on every logger of this factory, those created before included, logs to it as well
    /// as to stderr. The factory disposes it when it is disposed.
    /// </summary>
    public void AddProvider(ILoggerProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            bool external = provider is ISupportExternalScope;
            if (provider is ISupportExternalScope scoped)
                scoped.SetScopeProvider(_scopes ??= new LoggerExternalScopeProvider());
            _added.Add(provider);
            foreach (FanOutLogger logger in _loggers.Values)
                logger.Add(new Inner(provider.CreateLogger(logger.Category), external));
        }
    }

    /// <summary>Waits until the lines logged so far are written, or until <paramref name="timeout"/> has passed.</summary>
    /// <returns>Whether everything was written.</returns>
    public bool Flush(TimeSpan timeout) => _stderr.Flush(timeout);

    /// <summary>
    /// Writes <paramref name="line"/> after the lines logged so far, never dropping it, and waits until it is written
    /// or <paramref name="timeout"/> has passed: for the ready marker, which must not be lost or cut into by a log line.
    /// </summary>
    internal bool WriteLine(string line, TimeSpan timeout)
    {
        _stderr.EnqueueUnbounded(line);
        return _stderr.Flush(timeout);
    }

    /// <summary>Disposes the added providers, then writes what is queued for stderr and stops its writer.</summary>
    public void Dispose()
    {
        ILoggerProvider[] added;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            added = [.. _added];
        }
        foreach (ILoggerProvider provider in added)
        {
            try { provider.Dispose(); }
            catch (Exception) { /* as LoggerFactory does: one provider's failure does not keep the rest from being disposed */ }
        }
        _stderr.Dispose();
    }

    private readonly record struct Inner(ILogger Logger, bool ExternalScope);

    private sealed class FanOutLogger(StderrLoggerFactory owner, string category, Inner[] inner) : ILogger
    {
        private volatile Inner[] _inner = inner;

        public string Category => category;

        public void Add(Inner logger) => _inner = [.. _inner, logger]; // under the factory's lock

        public bool IsEnabled(LogLevel logLevel)
        {
            if (logLevel == LogLevel.None || logLevel < owner._minimum) return false;
            foreach (Inner i in _inner)
                if (i.Logger.IsEnabled(logLevel)) return true;
            return false;
        }

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.None || logLevel < owner._minimum) return;
            Inner[] inner = _inner;
            if (inner.Length == 1)
            {
                inner[0].Logger.Log(logLevel, eventId, state, exception, formatter); // stderr alone: it never throws
                return;
            }
            List<Exception>? failures = null;
            foreach (Inner i in inner)
            {
                try
                {
                    if (i.Logger.IsEnabled(logLevel)) i.Logger.Log(logLevel, eventId, state, exception, formatter);
                }
                catch (Exception e)
                {
                    (failures ??= []).Add(e);
                }
            }
            if (failures is not null) throw new AggregateException("An error occurred while writing to logger(s).", failures);
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull
        {
            Inner[] inner = _inner;
            LoggerExternalScopeProvider? scopes = owner._scopes;
            List<IDisposable>? scopesOfLoggers = null;
            foreach (Inner i in inner)
            {
                if (i.ExternalScope) continue;
                if (i.Logger.BeginScope(state) is { } scope) (scopesOfLoggers ??= []).Add(scope);
            }
            IDisposable? external = scopes?.Push(state);
            if (scopesOfLoggers is null) return external;
            if (external is not null) scopesOfLoggers.Add(external);
            return new Scopes(scopesOfLoggers);
        }
    }

    private sealed class Scopes(List<IDisposable> scopes) : IDisposable
    {
        public void Dispose()
        {
            for (int i = scopes.Count - 1; i >= 0; i--) scopes[i].Dispose();
        }
    }
}
