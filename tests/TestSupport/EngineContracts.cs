using System.Runtime.CompilerServices;
using SidecarKit;

namespace SidecarKit.Tests.Support;

/// <summary>Methods that exercise the call engine: slow calls, cancellation, streams, errors, callbacks.</summary>
[SidecarContract("engine")]
public partial interface IEngine
{
    Task<string> SleepAsync(int milliseconds, CancellationToken ct = default);
    IAsyncEnumerable<int> RangeAsync(int count, CancellationToken ct = default);
    Task FailAsync(int code, string message);
    Task<int> ThrowAsync(string message);
    Task<int> EchoAsync(int value, CancellationToken ct = default);
    Task<int> AskParentAsync(int value, CancellationToken ct = default);
    void Fire(string message);
    [SidecarMethod(TimeoutMilliseconds = 150)]
    Task<string> ShortTimeoutSleepAsync(int milliseconds, CancellationToken ct = default);
}

[SidecarContract("parent")]
public partial interface IParent
{
    Task<int> DoubleAsync(int value, CancellationToken ct = default);
}

/// <summary>An engine implementation that records what happened on its side.</summary>
public sealed class EngineService(RpcChannelAccessor parent) : IEngine
{
    public int SleepsCancelled;
    public int ItemsProduced;
    public int StreamsCancelled;
    public readonly TaskCompletionSource<string> Fired = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public readonly TaskCompletionSource SleepStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task<string> SleepAsync(int milliseconds, CancellationToken ct)
    {
        SleepStarted.TrySetResult();
        try
        {
            await Task.Delay(milliseconds, ct);
            return "slept";
        }
        catch (OperationCanceledException)
        {
            Interlocked.Increment(ref SleepsCancelled);
            throw;
        }
    }

    public async IAsyncEnumerable<int> RangeAsync(int count, [EnumeratorCancellation] CancellationToken ct)
    {
        try
        {
            for (int i = 0; i < count; i++)
            {
                ct.ThrowIfCancellationRequested();
                Interlocked.Increment(ref ItemsProduced);
                yield return i;
                await Task.Yield();
            }
        }
        finally
        {
            if (ct.IsCancellationRequested) Interlocked.Increment(ref StreamsCancelled);
        }
    }

    public Task FailAsync(int code, string message) => throw new SidecarRemoteException(code, message,
        System.Text.Json.JsonDocument.Parse("{\"detail\":\"" + message + "\"}").RootElement.Clone());

    public Task<int> ThrowAsync(string message) => throw new InvalidOperationException(message);

    public Task<int> EchoAsync(int value, CancellationToken ct) => Task.FromResult(value);

    public async Task<int> AskParentAsync(int value, CancellationToken ct) => await parent.Channel!.GetClient<IParent>().DoubleAsync(value, ct) + 1;

    public void Fire(string message) => Fired.TrySetResult(message);

    public Task<string> ShortTimeoutSleepAsync(int milliseconds, CancellationToken ct) => SleepAsync(milliseconds, ct);
}

/// <summary>Lets an implementation reach the connection it is served on (set after the connection is created).</summary>
public sealed class RpcChannelAccessor
{
    public SidecarKit.Rpc.RpcChannel? Channel { get; set; }
}

public sealed class DoublingParent : IParent
{
    public Task<int> DoubleAsync(int value, CancellationToken ct) => Task.FromResult(value * 2);
}
