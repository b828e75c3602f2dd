using Microsoft.Extensions.Logging;

namespace SidecarKit.Transports.Grpc.Server;

/// <summary>
/// The sidecar's loggers as the web host sees them: ASP.NET Core's and grpc-dotnet's own categories log warnings and
/// errors only. Their per-request information lines (request starting, endpoint executed) would otherwise fill the
/// sidecar's stderr, which the parent forwards and keeps a tail of.
/// </summary>
internal sealed class QuietFrameworkLogs(ILoggerFactory inner) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName)
    {
        ILogger logger = inner.CreateLogger(categoryName);
        return categoryName.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) || categoryName.StartsWith("Grpc", StringComparison.Ordinal)
            ? new WarningsOnly(logger) : logger;
    }

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose() { }   // the sidecar's factory outlives the server

    private sealed class WarningsOnly(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning && inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
