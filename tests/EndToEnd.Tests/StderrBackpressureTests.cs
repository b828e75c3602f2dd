using System.Diagnostics;
using System.Text;

namespace SidecarKit.EndToEnd.Tests;

/// <summary>
/// A parent that stops reading the sidecar's stderr: logging must not stall the sidecar's calls. Lines that do not fit
/// the logger's queue are dropped, counted, and the count reported once stderr is read again.
/// </summary>
public class StderrBackpressureTests
{
    [Fact]
    public async Task Calls_are_answered_while_nobody_reads_stderr_and_the_dropped_lines_are_counted()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true, // a pipe nobody reads until the end: it fills after 64 KiB
            UseShellExecute = false,
        };
        start.ArgumentList.Add(DemoSidecar.DllPath); // JSON lines on stdio
        using Process sidecar = Process.Start(start)!;
        try
        {
            // demo.log is a notification: notifications run in arrival order on the connection's read loop, so a log
            // write blocked on the full pipe stalled everything read after it, demo.add included.
            string message = new('x', 8 * 1024);
            string log = "{\"jsonrpc\":\"2.0\",\"method\":\"demo.log\",\"params\":{\"message\":\"" + message + "\"}}";
            Task<string?> answered = Task.Run(async () =>
            {
                StreamWriter input = sidecar.StandardInput;
                for (int i = 0; i < 2000; i++) await input.WriteLineAsync(log);
                await input.WriteLineAsync("""{"jsonrpc":"2.0","id":1,"method":"demo.add","params":{"a":2,"b":3}}""");
                await input.FlushAsync();
                while (await sidecar.StandardOutput.ReadLineAsync() is { } line)
                    if (line.Contains("\"id\":1")) return line;
                return null;
            });
            string? answer = await answered.WaitAsync(TimeSpan.FromSeconds(60)); // a hang guard, not a timing
            Assert.NotNull(answer);
            Assert.Contains("\"result\":5", answer);

            // Reading stderr again lets the queued lines out, then the count of those that did not fit.
            Task<string> stderr = sidecar.StandardError.ReadToEndAsync();
            sidecar.StandardInput.Close(); // the end of stdin: the sidecar drains and exits
            string written = await stderr.WaitAsync(TimeSpan.FromSeconds(60));
            await sidecar.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(0, sidecar.ExitCode);
            string[] dropped = [.. written.Split('\n').Where(l => l.Contains("log lines were dropped because stderr was not being read"))];
            Assert.NotEmpty(dropped);
            long count = dropped.Sum(l => long.Parse(l.Split(": ", 2)[1].Split(' ')[0]));
            int logged = written.Split('\n').Count(l => l.Contains("demo.log: xxx"));
            Assert.Equal(2000, logged + count); // every line either written or counted
        }
        finally
        {
            if (!sidecar.HasExited) sidecar.Kill(entireProcessTree: true);
        }
    }
}
