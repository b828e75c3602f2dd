namespace SidecarKit.Benchmarks.Peers;

/// <summary>
/// The peers' exit signal: the end of standard input (the benchmark holds it open while it runs, as a sidecar's parent
/// does), watched on a thread of its own, as the SidecarKit sidecar host watches it. Awaiting
/// <c>Console.OpenStandardInput().ReadAsync</c> would not do: the console stream has no asynchronous read of its own, so
/// <see cref="Stream"/>'s default parks a blocking read on a thread-pool worker for the whole run, and a pool with one
/// worker always taken wakes fewer workers for its requests. The plain grpc-dotnet server read its stdin that way until
/// issue 10's run 6 and was switched 6-7 times per call (one outstanding) against 14-16 once it did not, which is most
/// of what runs 4 and 5 saw as the demo sidecar's extra wake-ups (docs/performance.md).
/// </summary>
internal static class StandardInputEnd
{
    /// <summary>Completes when standard input ends (or cannot be read).</summary>
    public static Task WaitAsync()
    {
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                using Stream stdin = Console.OpenStandardInput();
                byte[] buffer = new byte[64];
                while (stdin.Read(buffer) > 0) { }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException) { }
            finally { ended.TrySetResult(); }
        })
        { IsBackground = true, Name = "stdin end" };
        thread.Start();
        return ended.Task;
    }
}
