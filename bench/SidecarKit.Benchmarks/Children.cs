using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using SidecarKit.Processes;
using SidecarKit.Transports.JsonLines;

namespace SidecarKit.Benchmarks;

/// <summary>Finds the child programs built next to the benchmarks (same configuration).</summary>
internal static class ChildPaths
{
    public static string DemoSidecar => Locate(Path.Combine("samples", "Demo", "Sidecar"), "SidecarKit.Samples.Demo.Sidecar.dll");

    public static string EchoChild => Locate(Path.Combine("bench", "EchoChild"), "SidecarKit.Benchmarks.EchoChild.dll");

    // Like samples/Quickstart's DemoSidecar.Locate(): walk up from bin/<Configuration>/net10.0/ to the repository root.
    private static string Locate(string projectDir, string dll)
    {
        string config = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, projectDir, "bin", config, "net10.0", dll);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"{dll} is not built. Run: dotnet build bench/SidecarKit.Benchmarks -c {config}");
    }
}

/// <summary>
/// The hand-written client of the raw floor: EchoChild on the other end of the stdio pipes, lines written straight to
/// its stdin and read back from its stdout through a <see cref="PipeReader"/> (the same reader settings the
/// SidecarKit connection uses).
/// </summary>
internal sealed class RawEchoClient : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Stream _stdin;
    private readonly PipeReader _stdout;

    private RawEchoClient(Process process)
    {
        _process = process;
        _stdin = process.StandardInput.BaseStream;
        _stdout = PipeReader.Create(process.StandardOutput.BaseStream,
            new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 4096));
    }

    public int ProcessId => _process.Id;

    public static RawEchoClient Start()
    {
        var startInfo = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add(ChildPaths.EchoChild);
        return new RawEchoClient(Process.Start(startInfo)!);
    }

    /// <summary>Writes <paramref name="lines"/> (one or more complete lines) in one write.</summary>
    public ValueTask WriteAsync(ReadOnlyMemory<byte> lines) => _stdin.WriteAsync(lines);

    /// <summary>Reads <paramref name="count"/> lines; returns the number of bytes read.</summary>
    public async ValueTask<int> ReadLinesAsync(int count)
    {
        int bytes = 0;
        while (count > 0)
        {
            ReadResult result = await _stdout.ReadAsync().ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            while (count > 0 && buffer.PositionOf((byte)'\n') is SequencePosition newline)
            {
                SequencePosition next = buffer.GetPosition(1, newline);
                bytes += (int)buffer.Slice(0, next).Length;
                buffer = buffer.Slice(next);
                count--;
            }
            _stdout.AdvanceTo(buffer.Start, buffer.End);
            if (count > 0 && result.IsCompleted)
                throw new InvalidOperationException($"EchoChild closed its stdout with {count} lines outstanding.");
        }
        return bytes;
    }

    public async ValueTask DisposeAsync()
    {
        _stdin.Dispose(); // EOF: EchoChild exits
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try { await _process.WaitForExitAsync(grace.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) { _process.Kill(entireProcessTree: true); }
        await _stdout.CompleteAsync().ConfigureAwait(false);
        _process.Dispose();
    }
}

/// <summary>Starts the demo sidecar the way samples/Quickstart does.</summary>
internal static class DemoSidecarStarter
{
    public static Task<SidecarProcess> StartAsync()
    {
        var options = new SidecarProcessOptions
        {
            Name = "demo",
            FileName = "dotnet",
            ReadyTimeout = TimeSpan.FromSeconds(30),
        }.UseJsonLines();
        options.Arguments.Add(ChildPaths.DemoSidecar);
        return SidecarProcess.StartAsync(options);
    }
}
