using Microsoft.Extensions.Logging;
using SidecarKit.Logging;

namespace SidecarKit.Runtime.Tests;

/// <summary>The sidecar's log line form (issue 15): written by the sidecar's stderr logger, read by the parent.</summary>
public class LogLineTests
{
    [Theory]
    [InlineData(LogLevel.Trace, "trce")]
    [InlineData(LogLevel.Debug, "dbug")]
    [InlineData(LogLevel.Information, "info")]
    [InlineData(LogLevel.Warning, "warn")]
    [InlineData(LogLevel.Error, "fail")]
    [InlineData(LogLevel.Critical, "crit")]
    public void Every_level_is_written_with_its_tag_and_read_back(LogLevel level, string tag)
    {
        string line = LogLine.Format(level, "Demo.Service", 0, "hello", null);
        Assert.Equal($"{tag} Demo.Service: hello", line);
        Assert.True(LogLine.TryParse(line, out LogLine entry));
        Assert.Equal(new LogLine(level, "Demo.Service", 0, "hello", null), entry);
    }

    [Fact]
    public void The_event_id_is_written_only_when_it_is_not_zero()
    {
        Assert.Equal("fail SidecarKit.Connection[1]: The handler of 'demo.sleep' failed.",
            LogLine.Format(LogLevel.Error, "SidecarKit.Connection", 1, "The handler of 'demo.sleep' failed.", null));
        foreach (int id in new[] { 0, 1, 42, -7, int.MaxValue, int.MinValue })
        {
            Assert.True(LogLine.TryParse(LogLine.Format(LogLevel.Warning, "c", id, "m", null), out LogLine entry));
            Assert.Equal(id, entry.EventId);
            Assert.Equal("c", entry.Category);
        }
    }

    [Theory]
    [InlineData("two\nlines")]
    [InlineData("windows\r\nline end")]
    [InlineData(@"C:\temp\new")]
    [InlineData("a literal \\n is not a line feed")]
    [InlineData("tab\there")]
    [InlineData("ends in a backslash \\")]
    [InlineData("")]
    [InlineData("unicode ✓ and {braces} and [brackets]: too")]
    public void Messages_are_escaped_onto_one_line_and_read_back_unchanged(string message)
    {
        string line = LogLine.Format(LogLevel.Information, "c", 3, message, null);
        Assert.DoesNotContain('\n', line);
        Assert.DoesNotContain('\r', line);
        Assert.DoesNotContain('\t', line);
        Assert.True(LogLine.TryParse(line, out LogLine entry));
        Assert.Equal(message, entry.Message);
        Assert.Null(entry.Exception);
    }

    [Fact]
    public void The_escapes_are_backslash_n_r_t()
    {
        Assert.Equal(@"info c: a\\b\nc\rd\te", LogLine.Format(LogLevel.Information, "c", 0, "a\\b\nc\rd\te", null));
    }

    [Fact]
    public void An_exception_is_written_whole_with_inner_exceptions_and_stack_traces_and_read_back()
    {
        Exception thrown = Thrown();
        string text = thrown.ToString();
        Assert.Contains("--->", text); // the inner exception
        Assert.Contains(nameof(Thrown), text); // a stack trace

        string line = LogLine.Format(LogLevel.Error, "Demo", 9, "it failed", text);
        Assert.DoesNotContain('\n', line);
        Assert.StartsWith("fail Demo[9]: it failed\tSystem.ArgumentException: outer \\\\ path", line);
        Assert.True(LogLine.TryParse(line, out LogLine entry));
        Assert.Equal(new LogLine(LogLevel.Error, "Demo", 9, "it failed", text), entry);

        var logged = new SidecarLoggedException(entry.Exception!);
        Assert.Equal(text, logged.ToString());
        Assert.Equal("System.ArgumentException", logged.RemoteType);
        Assert.Equal(@"outer \ path", logged.Message);
        Assert.Contains("---> System.InvalidOperationException: inner", logged.StackTrace);
        Assert.Contains(nameof(Thrown), logged.StackTrace);
    }

    [Fact]
    public void A_message_may_be_empty_before_an_exception()
    {
        Assert.True(LogLine.TryParse(LogLine.Format(LogLevel.Critical, "c", 0, "", "System.Exception: x"), out LogLine entry));
        Assert.Equal("", entry.Message);
        Assert.Equal("System.Exception: x", entry.Exception);
        // Written by hand without the space: the tab still starts the exception.
        Assert.True(LogLine.TryParse("crit c:\tSystem.Exception: x", out entry));
        Assert.Equal(("", "System.Exception: x"), (entry.Message, entry.Exception));
    }

    [Fact]
    public void A_category_loses_its_white_space_and_one_that_ends_in_a_bracket_keeps_it()
    {
        Assert.True(LogLine.TryParse(LogLine.Format(LogLevel.Information, "Cache<Int32, String>", 0, "m", null), out LogLine entry));
        Assert.Equal("Cache<Int32,String>", entry.Category);
        Assert.True(LogLine.TryParse(LogLine.Format(LogLevel.Information, "my category", 0, "m", null), out entry));
        Assert.Equal("my_category", entry.Category);
        Assert.True(LogLine.TryParse(LogLine.Format(LogLevel.Information, "Array[5]", 0, "m", null), out entry));
        Assert.Equal(("Array[5]", 0), (entry.Category, entry.EventId));
        Assert.True(LogLine.TryParse(LogLine.Format(LogLevel.Information, "Array[5]", 12, "m", null), out entry));
        Assert.Equal(("Array[5]", 12), (entry.Category, entry.EventId));
        Assert.True(LogLine.TryParse(LogLine.Format(LogLevel.Information, "", 0, "m", null), out entry));
        Assert.Equal("-", entry.Category);
        Assert.True(LogLine.TryParse("info Odd[x]: m", out entry));
        Assert.Equal(("Odd[x]", 0), (entry.Category, entry.EventId));
    }

    [Theory]
    [InlineData("")]
    [InlineData("info")]
    [InlineData("info ")]
    [InlineData("info :x")]
    [InlineData("info demo")]
    [InlineData("info demo x")]
    [InlineData("warn this is a sentence: not an entry")]
    [InlineData("INFO demo: upper case is not the form")]
    [InlineData("information demo: five letters")]
    [InlineData("note demo: no such level")]
    [InlineData(" info demo: leading space")]
    [InlineData("info  demo: two spaces")]
    [InlineData("__SIDECAR_READY__:{\"pid\":1}")]
    [InlineData("Traceback (most recent call last):")]
    [InlineData("\u0000\u0001garbage\t\\")]
    public void Other_lines_are_not_entries(string line)
    {
        Assert.False(LogLine.TryParse(line, out _));
    }

    [Fact]
    public void Unknown_escapes_and_a_lone_final_backslash_are_kept_as_written()
    {
        Assert.True(LogLine.TryParse(@"info c: \q \x \", out LogLine entry));
        Assert.Equal(@"\q \x \", entry.Message);
    }

    [Theory]
    [InlineData("trace: x", LogLevel.Trace)]
    [InlineData("DEBUG: x", LogLevel.Debug)]
    [InlineData("Info: x", LogLevel.Information)]
    [InlineData("warn: x", LogLevel.Warning)]
    [InlineData("WARNING:root:slow", LogLevel.Warning)]
    [InlineData("error: disk full", LogLevel.Error)]
    [InlineData("fail:x", LogLevel.Error)]
    [InlineData("crit: x", LogLevel.Critical)]
    [InlineData("CRITICAL:root:down", LogLevel.Critical)]
    public void A_level_prefix_gives_a_line_of_another_language_its_level(string line, LogLevel level)
    {
        Assert.True(LogLine.TryParseLevelPrefix(line, out LogLevel found));
        Assert.Equal(level, found);
        Assert.False(LogLine.TryParse(line, out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("hello: world")]
    [InlineData(" error: leading space")]
    [InlineData("errors: plural")]
    [InlineData("error without colon")]
    [InlineData("info demo: an entry, not a prefix")]
    [InlineData("E: short")]
    public void Other_lines_have_no_level_prefix(string line)
    {
        Assert.False(LogLine.TryParseLevelPrefix(line, out LogLevel level));
        Assert.Equal(LogLevel.Information, level);
    }

    [Fact]
    public void The_stderr_logger_writes_the_form_with_the_exception_whole()
    {
        var output = new StringWriter();
        var provider = new StderrLoggerProvider(LogLevel.Debug, output);
        ILogger logger = provider.CreateLogger("Demo.Service");
        Exception thrown = Thrown();
        logger.LogError(new EventId(17, "Failed"), thrown, "{Method} failed\nbadly", "demo.x");
        logger.LogTrace("below the minimum");
        Assert.True(provider.Flush(TimeSpan.FromSeconds(5)));
        provider.Dispose();

        string[] lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        string line = Assert.Single(lines);
        Assert.True(LogLine.TryParse(line, out LogLine entry));
        Assert.Equal(new LogLine(LogLevel.Error, "Demo.Service", 17, "demo.x failed\nbadly", thrown.ToString()), entry);
    }

    [Fact]
    public void The_factory_logs_to_added_providers_as_well_as_stderr_with_scopes_and_its_minimum()
    {
        var output = new StringWriter();
        using var factory = new StderrLoggerFactory(LogLevel.Information, output);
        ILogger before = factory.CreateLogger("Early");
        var added = new CollectingProvider();
        factory.AddProvider(added);
        ILogger after = factory.CreateLogger("Late");

        using (before.BeginScope("request 1"))
        {
            before.LogWarning(new EventId(3), "from a logger created before the provider");
        }
        after.LogInformation("from a logger created after it");
        after.LogDebug("below the factory's minimum: nowhere");
        Assert.True(factory.Flush(TimeSpan.FromSeconds(5)));

        Assert.Equal(
            [("Early", LogLevel.Warning, 3, "from a logger created before the provider", "request 1"),
             ("Late", LogLevel.Information, 0, "from a logger created after it", "")],
            added.Entries);
        Assert.Equal(
            ["warn Early[3]: from a logger created before the provider", "info Late: from a logger created after it"],
            output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));

        factory.Dispose();
        Assert.True(added.Disposed);
        Assert.Throws<ObjectDisposedException>(() => factory.AddProvider(new CollectingProvider()));
    }

    [Fact]
    public void One_failing_provider_does_not_keep_the_others_from_logging()
    {
        var output = new StringWriter();
        using var factory = new StderrLoggerFactory(LogLevel.Information, output);
        var added = new CollectingProvider();
        factory.AddProvider(new CollectingProvider { Throws = true });
        factory.AddProvider(added);
        ILogger logger = factory.CreateLogger("c");
        Assert.Throws<AggregateException>(() => logger.LogInformation("m"));
        Assert.Single(added.Entries);
        Assert.True(factory.Flush(TimeSpan.FromSeconds(5)));
        Assert.Equal("info c: m", output.ToString().TrimEnd());
    }

    private static Exception Thrown()
    {
        try
        {
            try
            {
                throw new InvalidOperationException("inner\nsecond line\twith a tab");
            }
            catch (Exception e)
            {
                throw new ArgumentException(@"outer \ path", e);
            }
        }
        catch (Exception e)
        {
            return e;
        }
    }

    /// <summary>A provider that takes its scopes from the factory (as the console provider does) and keeps its entries.</summary>
    private sealed class CollectingProvider : ILoggerProvider, ISupportExternalScope
    {
        private IExternalScopeProvider? _scopes;
        public readonly List<(string, LogLevel, int, string, string)> Entries = [];
        public bool Disposed;
        public bool Throws;

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

        public void Dispose() => Disposed = true;

        private sealed class Logger(CollectingProvider owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => throw new InvalidOperationException("scopes come from the factory");

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (owner.Throws) throw new InvalidOperationException("this provider fails");
                string scopes = "";
                owner._scopes?.ForEachScope((scope, _) => scopes += scope, (object?)null);
                owner.Entries.Add((category, logLevel, eventId.Id, formatter(state, exception), scopes));
            }
        }
    }
}
