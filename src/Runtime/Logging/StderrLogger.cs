using Microsoft.Extensions.Logging;

namespace SidecarKit.Logging;

/// <summary>
/// A logger provider that writes one line per entry to stderr. Sidecars log here because stdout carries the
/// protocol; the parent reads these lines into its own <see cref="ILogger"/>.
/// </summary>
public sealed class StderrLoggerProvider : ILoggerProvider
{
    private readonly TextWriter _output;
    private readonly LogLevel _minimum;
    private readonly object _gate = new();

    /// <summary>Creates the provider.</summary>
    /// <param name="minimum">The lowest level written.</param>
    /// <param name="output">Where to write; stderr by default.</param>
    public StderrLoggerProvider(LogLevel minimum, TextWriter? output = null)
    {
        _minimum = minimum;
        _output = output ?? Console.Error;
    }

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <inheritdoc />
    public void Dispose() { }

    private sealed class Logger(StderrLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= provider._minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            string message = formatter(state, exception);
            if (exception is not null) message += " " + exception.GetType().Name + ": " + exception.Message;
            // One line per entry, so the parent can read entries line by line.
            message = message.Replace('\n', ' ').Replace('\r', ' ');
            string line = $"{Level(logLevel)} {category}: {message}";
            lock (provider._gate)
            {
                provider._output.WriteLine(line);
                provider._output.Flush();
            }
        }

        private static string Level(LogLevel level) => level switch
        {
            LogLevel.Trace => "trce",
            LogLevel.Debug => "dbug",
            LogLevel.Information => "info",
            LogLevel.Warning => "warn",
            LogLevel.Error => "fail",
            _ => "crit",
        };
    }
}

/// <summary>A logger factory whose loggers all write to stderr through <see cref="StderrLoggerProvider"/>.</summary>
public sealed class StderrLoggerFactory(LogLevel minimum) : ILoggerFactory
{
    private readonly StderrLoggerProvider _provider = new(minimum);

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => _provider.CreateLogger(categoryName);

    /// <inheritdoc />
    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException("This factory writes to stderr only.");

    /// <inheritdoc />
    public void Dispose() => _provider.Dispose();
}
