using System.Diagnostics;
using System.Text;
using SidecarKit.Tests.Support;

namespace SidecarKit.Interop.StreamJsonRpc.Tests;

/// <summary>
/// The real demo sidecar (samples/Demo/Sidecar) as a child process serving one <c>--transport</c> on its stdio, driven
/// by a foreign client rather than by SidecarKit's own process starter. Disposing closes its stdin (the sidecar exits on
/// EOF) and waits for it to exit.
/// </summary>
internal sealed class DemoSidecarProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    private DemoSidecarProcess(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data); };
        _process.BeginErrorReadLine();
    }

    public static DemoSidecarProcess Start(string transport)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Repository.DemoSidecarDll);
        info.ArgumentList.Add("--transport");
        info.ArgumentList.Add(transport);
        return new DemoSidecarProcess(Process.Start(info) ?? throw new InvalidOperationException("the demo sidecar did not start"));
    }

    /// <summary>What the parent writes: the sidecar's stdin.</summary>
    public Stream Input => _process.StandardInput.BaseStream;

    /// <summary>What the parent reads: the sidecar's stdout.</summary>
    public Stream Output => _process.StandardOutput.BaseStream;

    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    /// <summary>Closes the sidecar's stdin and waits for it to exit; returns its exit code.</summary>
    public async Task<int> StopAsync()
    {
        try { _process.StandardInput.Close(); } catch (Exception e) when (e is IOException or ObjectDisposedException) { /* already gone */ }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited) await StopAsync();
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
    }
}
