using System.Diagnostics;

namespace SidecarKit.Tests.Support;

/// <summary>
/// Runs the demo sidecar as a plain process, for the runs that should end by themselves (a refused command line, a
/// place it cannot listen on): its exit code and everything it wrote to stderr, unfiltered.
/// </summary>
public static class SidecarRun
{
    /// <summary>What a finished run left: the exit code and the stderr lines.</summary>
    public sealed record Result(int ExitCode, IReadOnlyList<string> Stderr)
    {
        /// <summary>Whether stderr holds an unhandled exception (its header or a stack frame) rather than reasons.</summary>
        public bool HasStackTrace => Stderr.Any(l => l.Contains("Unhandled exception", StringComparison.Ordinal) || l.TrimStart().StartsWith("at ", StringComparison.Ordinal));

        /// <summary>For assertion messages.</summary>
        public override string ToString() => $"exit {ExitCode}; stderr:\n{string.Join('\n', Stderr)}";
    }

    /// <summary>
    /// Runs the demo sidecar with <paramref name="args"/> until it exits. stdin stays open (its end would stop the
    /// sidecar for another reason); a run still going after <paramref name="hangGuard"/> (60 s by default) is killed and
    /// fails the test: it should have refused to start.
    /// </summary>
    public static async Task<Result> DemoToExitAsync(string[] args, TimeSpan? hangGuard = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Repository.DemoSidecarDll);
        foreach (string a in args) start.ArgumentList.Add(a);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using Process process = Process.Start(start)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        using var guard = new CancellationTokenSource(hangGuard ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(guard.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException($"The sidecar ({string.Join(' ', args)}) was still running after the hang guard; stderr so far is lost.");
        }
        await stdout;
        string[] lines = (await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return new Result(process.ExitCode, lines);
    }
}
