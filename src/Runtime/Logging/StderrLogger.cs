using Microsoft.Extensions.Logging;

namespace SidecarKit.Logging;

/// <summary>
/// A logger provider that writes one line per entry to stderr, in the form of <see cref="LogLine"/> (level, category,
/// event id, message, and the exception whole). Sidecars log here because stdout carries the protocol; the parent
/// reads these lines and logs each entry again into its own <see cref="ILogger"/>, at the same level.
/// </summary>
/// <remarks>
/// Logging never waits for stderr: a parent that stops reading it fills the pipe, and a write to a full pipe blocks
/// until it is read, so a logger that wrote in place would stall whatever logged (a call, the connection's read loop)
/// for as long as the parent does not read. Entries go to a bounded queue instead, written by a thread of the
/// provider's own. What does not fit is dropped and counted, and once stderr takes lines again a line says how many
/// were lost (<c>warn SidecarKit.Logging: N log lines were dropped because stderr was not being read.</c>). What is
/// queued is written before the process exits, waiting at most <see cref="ExitFlushTimeout"/>.
/// </remarks>
public sealed class StderrLoggerProvider : ILoggerProvider
{
    /// <summary>The default bound of the queue, in characters of queued lines: 1 Mi.</summary>
    public const int DefaultMaxQueuedChars = 1024 * 1024;

    /// <summary>How long the exit of the process waits for queued lines to be written: 2 s.</summary>
    public static readonly TimeSpan ExitFlushTimeout = TimeSpan.FromSeconds(2);

    private const string Category = "SidecarKit.Logging";

    private readonly TextWriter _output;
    private readonly LogLevel _minimum;
    private readonly int _maxQueuedChars;
    private readonly object _gate = new();
    private readonly Queue<string> _queue = new();
    private readonly Thread _writer;
    private int _queuedChars;
    private long _dropped;
    private bool _writing;   // the writer holds lines taken from the queue and not yet written
    private bool _disposed;

    /// <summary>Creates the provider.</summary>
    /// <param name="minimum">The lowest level written.</param>
    /// <param name="output">Where to write; stderr by default.</param>
    /// <param name="maxQueuedChars">The most characters of lines waiting to be written; more are dropped and counted.</param>
    public StderrLoggerProvider(LogLevel minimum, TextWriter? output = null, int maxQueuedChars = DefaultMaxQueuedChars)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxQueuedChars);
        _minimum = minimum;
        _output = output ?? OpenStderr();
        _maxQueuedChars = maxQueuedChars;
        // A thread of its own, not the pool's: it may block for as long as nobody reads stderr.
        _writer = new Thread(WriteLoop) { IsBackground = true, Name = "SidecarKit stderr" };
        _writer.Start();
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <summary>
    /// Waits until every line queued so far is written (and a count of dropped lines reported), or until
    /// <paramref name="timeout"/> has passed.
    /// </summary>
    /// <returns>Whether everything was written.</returns>
    public bool Flush(TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        lock (_gate)
        {
            while (_queue.Count > 0 || _writing || _dropped > 0)
            {
                long left = deadline - Environment.TickCount64;
                if (left <= 0 || !_writer.IsAlive) return false;
                Monitor.Wait(_gate, TimeSpan.FromMilliseconds(left));
            }
            return true;
        }
    }

    /// <summary>Writes what is queued (waiting at most <see cref="ExitFlushTimeout"/>) and stops the writer.</summary>
    public void Dispose()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        Flush(ExitFlushTimeout);
        lock (_gate)
        {
            _disposed = true;
            Monitor.PulseAll(_gate);
        }
    }

    private void OnProcessExit(object? sender, EventArgs e) => Flush(ExitFlushTimeout);

    // Not Console.Error: on Unix every console stream writes under one lock (Console.Out's), so a write blocked on a
    // full stderr pipe would block the protocol's writes to stdout too. The descriptor itself has no such lock.
    private static TextWriter OpenStderr()
    {
        if (OperatingSystem.IsWindows()) return Console.Error;
        try
        {
            var stream = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(2, ownsHandle: false), FileAccess.Write, bufferSize: 0);
            if (stream.CanSeek)
            {
                // A regular file: it never blocks for long, and FileStream would write it at offsets of its own
                // (pwrite), over what others write to the same file (2>&1). The console's writer shares the offset.
                stream.Dispose();
                return Console.Error;
            }
            return new StreamWriter(stream, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 16 * 1024);
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return Console.Error; // not a descriptor FileStream takes: the console's writer still works
        }
    }

    /// <summary>Queues <paramref name="line"/> whatever the bound: a line that must not be dropped (the ready marker).</summary>
    internal void EnqueueUnbounded(string line) => Enqueue(line, bounded: false);

    private void Enqueue(string line, bool bounded = true)
    {
        lock (_gate)
        {
            if (_disposed) return;
            // A line longer than the whole bound still goes through when nothing else waits: memory stays bounded by
            // the bound plus one line, and a long line alone is not lost.
            if (bounded && _queue.Count > 0 && _queuedChars + line.Length > _maxQueuedChars)
            {
                _dropped++;
                return;
            }
            _queue.Enqueue(line);
            _queuedChars += line.Length;
            if (_queue.Count == 1) Monitor.PulseAll(_gate);
        }
    }

    private void WriteLoop()
    {
        var batch = new List<string>();
        while (true)
        {
            long dropped;
            lock (_gate)
            {
                while (_queue.Count == 0 && _dropped == 0 && !_disposed)
                {
                    _writing = false;
                    Monitor.PulseAll(_gate); // a Flush waiting for the queue to empty
                    Monitor.Wait(_gate);
                }
                if (_queue.Count == 0 && _dropped == 0) return; // disposed
                while (_queue.TryDequeue(out string? line))
                {
                    batch.Add(line);
                    _queuedChars -= line.Length;
                }
                dropped = _dropped;
                _dropped = 0;
                _writing = true;
            }
            try
            {
                foreach (string line in batch) _output.WriteLine(line);
                // Reported once stderr took the lines queued before: the parent is reading again.
                if (dropped > 0)
                    _output.WriteLine(LogLine.Format(LogLevel.Warning, Category, 0, $"{dropped} log lines were dropped because stderr was not being read.", null));
                _output.Flush();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // stderr is closed: nobody can read these lines any more.
            }
            batch.Clear();
        }
    }

    private sealed class Logger(StderrLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= provider._minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            // One line per entry (LogLine escapes line ends), so the parent reads entries line by line; the exception
            // whole, stack trace and inner exceptions included: it is logged here, and not sent to the caller.
            provider.Enqueue(LogLine.Format(logLevel, category, eventId.Id, formatter(state, exception), exception?.ToString()));
        }
    }
}
