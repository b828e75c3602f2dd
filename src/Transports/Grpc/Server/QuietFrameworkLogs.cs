using Microsoft.Extensions.Logging;

namespace SidecarKit.Transports.Grpc.Server;

/// <summary>
/// The sidecar's loggers as the web host sees them: the host's own components (Kestrel, hosting, routing, grpc-dotnet)
/// log warnings and errors only. Their information lines (listening on, request starting, endpoint executed) would
/// otherwise fill the sidecar's stderr, which the parent forwards and keeps a tail of; the server's own lines come from
/// the sidecar's factory directly.
/// </summary>
internal sealed class QuietFrameworkLogs(ILoggerFactory inner) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName)
        => new WarningsOnly(inner.CreateLogger(categoryName));

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose() { }   // the sidecar's factory outlives the server

    // Microsoft.Extensions.Hosting's event for "Hosting failed to start".
    private const string HostStartupFaulted = "HostedServiceStartupFaulted";

    private sealed class WarningsOnly(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning && inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            // The host's start failure (a bind that failed) reaches the server's start as an exception, which the sidecar
            // reports as its one line on stderr: the host's own line about it would be a second.
            if (eventId.Name == HostStartupFaulted) return;
            if (IsEnabled(logLevel)) inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
