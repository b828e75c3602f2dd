using SidecarKit.Rpc;

namespace SidecarKit.Tests.Support;

/// <summary>
/// The drain race check shared by every transport's tests: calls in flight when a graceful stop begins must all get
/// the answers the sidecar sent. The race lives between the process's exit and the parent reading the last bytes, so
/// callers repeat it (<see cref="Rounds"/>) on fresh sidecars, a few at a time.
/// </summary>
public static class DrainCheck
{
    /// <summary>How many graceful stops each transport goes through.</summary>
    public const int Rounds = 50;

    /// <summary>Sidecars stopped at the same time (the rounds run in batches of this size).</summary>
    public const int Parallel = 5;

    /// <summary>Runs <paramref name="round"/> <see cref="Rounds"/> times, <see cref="Parallel"/> at a time.</summary>
    public static async Task RepeatAsync(Func<int, Task> round, int rounds = Rounds)
    {
        for (int first = 0; first < rounds; first += Parallel)
            await Task.WhenAll(Enumerable.Range(first, Math.Min(Parallel, rounds - first)).Select(round));
    }

    /// <summary>
    /// Starts three sleeps (<paramref name="sleep"/> must answer <c>"slept"</c>) and waits until the sidecar counts
    /// them as running (<paramref name="activeRequests"/>, from <c>system.ping</c>), then sends quick calls
    /// (<paramref name="add"/>, the sum) and runs <paramref name="stop"/> at once. Every sleep must get its answer. A
    /// quick call must get its answer, or, if it reached the sidecar after the stop did, the refusal
    /// <see cref="RpcErrorCodes.ShuttingDown"/>; anything else (a crash, a disposed channel) fails with the transport,
    /// round and call.
    /// </summary>
    public static async Task AssertEveryAnswerArrivesAsync(string transport, int round,
        Func<int, Task<string>> sleep, Func<int, int, Task<int>> add, Func<Task<int>> activeRequests, Func<Task> stop)
    {
        // Sleeps that end around and after the moment the stop reaches the sidecar: the answers that leave just
        // before the process exits are the ones a racing parent loses.
        int before = await activeRequests();
        Task<string>[] sleeps = [sleep(200), sleep(300), sleep(400)];
        // On a loaded machine a sleep may be over before the pings see all three: then the stop comes after it.
        while (await activeRequests() < before + sleeps.Length && !sleeps.Any(s => s.IsCompleted))
            await Task.Delay(2);
        Task<int>[] adds = [.. Enumerable.Range(0, 8).Select(i => add(round, i))];
        await stop();
        for (int i = 0; i < sleeps.Length; i++)
            await ExpectAsync(sleeps[i], "slept", refusalAllowed: false, $"{transport}, round {round}: sleep #{i}");
        for (int i = 0; i < adds.Length; i++)
            await ExpectAsync(adds[i], round + i, refusalAllowed: true, $"{transport}, round {round}: add #{i}");
    }

    /// <summary>
    /// A request sent after <c>system.shutdown</c> was answered must be refused with
    /// <see cref="RpcErrorCodes.ShuttingDown"/>, never run: the refusal takes effect before the shutdown is answered.
    /// A sleep keeps the drain open meanwhile (and must still get its answer); <paramref name="shutdown"/> calls
    /// <c>system.shutdown</c> and returns with its answer.
    /// </summary>
    public static async Task AssertNothingRunsAfterShutdownAsync(string transport, int round,
        Func<int, Task<string>> sleep, Func<int, int, Task<int>> add, Func<Task<int>> activeRequests, Func<Task> shutdown)
    {
        Task<string> sleeping = sleep(1500);
        while (await activeRequests() < 1 && !sleeping.IsCompleted) await Task.Delay(2);
        await shutdown();
        Task<int> late = add(round, 1);
        SidecarRemoteException refused;
        try
        {
            int sum = await late;
            throw new Xunit.Sdk.XunitException($"{transport}, round {round}: an add sent after system.shutdown was answered ran ({sum}).");
        }
        catch (SidecarRemoteException e)
        {
            refused = e;
        }
        catch (SidecarException) when (sleeping.IsCompleted)
        {
            // On a loaded machine the add can reach the sidecar only after the drain ended (the sleep answered) and the
            // sidecar exited: not run either, and nobody was left to refuse it.
            await ExpectAsync(sleeping, "slept", refusalAllowed: false, $"{transport}, round {round}: the sleep");
            return;
        }
        if (refused.Code != RpcErrorCodes.ShuttingDown)
            throw new Xunit.Sdk.XunitException($"{transport}, round {round}: the late add failed with {refused.Code} ({refused.Message}), not {RpcErrorCodes.ShuttingDown}.");
        await ExpectAsync(sleeping, "slept", refusalAllowed: false, $"{transport}, round {round}: the sleep");
    }

    private static async Task ExpectAsync<T>(Task<T> call, T expected, bool refusalAllowed, string what)
    {
        T actual;
        try { actual = await call; }
        catch (SidecarRemoteException e) when (refusalAllowed && e.Code == RpcErrorCodes.ShuttingDown && e.InnerException is null)
        {
            return;   // it reached the sidecar after the stop: refused, and said so
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{what} lost its answer: {e.GetType().Name}: {e.Message}");
        }
        if (!EqualityComparer<T>.Default.Equals(actual, expected))
            throw new Xunit.Sdk.XunitException($"{what} answered {actual}, expected {expected}.");
    }
}
