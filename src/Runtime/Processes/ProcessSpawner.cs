using System.Collections.Concurrent;
using System.Diagnostics;

namespace SidecarKit.Processes;

/// <summary>
/// Starts processes from one dedicated thread that lives as long as this process. <c>PR_SET_PDEATHSIG</c> fires when
/// the thread that forked the child exits, not the process: a child forked from a thread-pool thread would be killed
/// when the pool retires that thread.
/// </summary>
internal static class ProcessSpawner
{
    private static readonly BlockingCollection<(Process Process, TaskCompletionSource Done)> s_queue = [];
    private static readonly Lazy<Thread> s_thread = new(() =>
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "SidecarKit process spawner" };
        thread.Start();
        return thread;
    });

    public static Task StartAsync(Process process)
    {
        _ = s_thread.Value;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        s_queue.Add((process, done));
        return done.Task;
    }

    private static void Run()
    {
        foreach ((Process process, TaskCompletionSource done) in s_queue.GetConsumingEnumerable())
        {
            try
            {
                process.Start();
                done.TrySetResult();
            }
            catch (Exception e)
            {
                done.TrySetException(e);
            }
        }
    }
}
