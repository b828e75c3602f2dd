using System.ComponentModel;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace SidecarKit.Processes;

/// <summary>What running a <see cref="SidecarCommand"/> came to.</summary>
/// <param name="Succeeded">It exited with code 0 within its timeout.</param>
/// <param name="Failure">Why not, when it did not (exit code, timeout, not found).</param>
/// <param name="OutputTail">Its last output lines (stdout and stderr, in order), for errors.</param>
internal readonly record struct SidecarCommandResult(bool Succeeded, string? Failure, IReadOnlyList<string> OutputTail);

/// <summary>
/// Runs the commands beside a sidecar (<see cref="SidecarProcessOptions.Prepare"/>, <see cref="SidecarStop.Command"/>):
/// started like the sidecar (no shell, its environment, killed with this process), output logged line by line and its
/// tail kept, killed with its process tree when its timeout passes.
/// </summary>
internal static class SidecarCommandRunner
{
    private const int TailLines = 20;

    /// <summary>Runs the prepare command; a failure is a <see cref="SidecarStartException"/> that a supervisor does not retry.</summary>
    public static async Task PrepareAsync(SidecarProcessOptions options, SidecarCommand prepare, CancellationToken cancellationToken)
    {
        ILogger logger = options.LoggerFactory?.CreateLogger("SidecarKit.Sidecar") ?? NullLogger.Instance;
        SidecarCommandResult result = await RunAsync(options, prepare, "prepare", null, logger, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            string output = result.OutputTail.Count == 0
                ? " It wrote nothing."
                : " Last output lines:" + Environment.NewLine + string.Join(Environment.NewLine, result.OutputTail.Select(l => "  | " + l));
            throw new SidecarStartException($"The sidecar '{options.Name}' was not started: its prepare command ({prepare}) {result.Failure}.{output}",
                null, result.OutputTail) { BeforeSpawn = true };
        }
    }

    public static async Task<SidecarCommandResult> RunAsync(SidecarProcessOptions options, SidecarCommand command, string what,
        IReadOnlyDictionary<string, string>? environment, ILogger logger, CancellationToken cancellationToken)
    {
        ProcessStartInfo startInfo = StartInfoBuilder.Build(options, command, StartInfoBuilder.CurrentEnvironment());
        startInfo.RedirectStandardInput = false;
        if (environment is not null)
            foreach (KeyValuePair<string, string> pair in environment) startInfo.Environment[pair.Key] = pair.Value;
        using var process = new Process { StartInfo = startInfo };
        try
        {
            await ProcessSpawner.StartAsync(process).ConfigureAwait(false);
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException)
        {
            return new SidecarCommandResult(false, $"could not be started: {e.Message}", []);
        }
        if (StartInfoBuilder.LeadsOwnGroup(startInfo)) OrphanGuard.Watch(process); // a build's workers die with it

        var tail = new BoundedTail(TailLines);
        void OnLine(string line)
        {
            tail.Add(line);
            logger.LogInformation("{Sidecar} ({What}): {Line}", options.Name, what, line);
        }
        Task stdout = BoundedLineReader.ReadLinesAsync(process.StandardOutput.BaseStream, options.MaxLogLineBytes, OnLine);
        Task stderr = BoundedLineReader.ReadLinesAsync(process.StandardError.BaseStream, options.MaxLogLineBytes, OnLine);
        string? failure = null;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            timeout.CancelAfter(command.Timeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                try { process.Kill(entireProcessTree: true); }
                catch (Exception e) when (e is InvalidOperationException or Win32Exception) { }
                failure = cancellationToken.IsCancellationRequested ? "was cancelled" : $"did not finish within {command.Timeout.TotalSeconds:0.#} s (killed)";
            }
        }
        // The output of a process that exited is read to its end (a grandchild holding the pipes is not waited for long).
        await Task.WhenAny(Task.WhenAll(stdout, stderr), Task.Delay(1000, CancellationToken.None)).ConfigureAwait(false);
        if (failure is null && process.ExitCode != 0)
            failure = $"exited with code {SidecarProcess.DescribeExit(process.ExitCode)}";
        cancellationToken.ThrowIfCancellationRequested();
        return new SidecarCommandResult(failure is null, failure, tail.Snapshot());
    }
}
