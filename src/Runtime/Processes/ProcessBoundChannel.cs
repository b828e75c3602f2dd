using System.Runtime.CompilerServices;
using SidecarKit.Rpc;

namespace SidecarKit.Processes;

/// <summary>
/// A transport's own client bound to the sidecar process it reaches: a call that fails because the process died
/// fails with <see cref="SidecarCrashedException"/> (exit code, stderr tail), as on the RPC connections.
/// </summary>
internal sealed class ProcessBoundChannel(SidecarProcess owner, RpcChannel inner) : RpcChannel, IAsyncDisposable
{
    /// <summary>The calls started and not finished: a graceful stop waits for them before it disposes the channel.</summary>
    public CallsInFlight InFlight { get; } = new();

    public override async Task<TResult> InvokeAsync<TArgs, TResult, TCodec>(MethodDescriptor method, TArgs args, RpcCallOptions options, CancellationToken cancellationToken)
    {
        InFlight.Enter();
        try
        {
            return await inner.InvokeAsync<TArgs, TResult, TCodec>(method, args, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (MayBeCrash(e))
        {
            throw await CrashedAsync(e).ConfigureAwait(false) ?? ExceptionDispatch(e);
        }
        finally
        {
            InFlight.Exit();
        }
    }

    public override async IAsyncEnumerable<TItem> InvokeStreamAsync<TArgs, TItem, TCodec>(MethodDescriptor method, TArgs args, RpcCallOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        InFlight.Enter();
        try
        {
            await using IAsyncEnumerator<TItem> items = inner.InvokeStreamAsync<TArgs, TItem, TCodec>(method, args, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
            while (true)
            {
                try
                {
                    if (!await items.MoveNextAsync().ConfigureAwait(false)) yield break;
                }
                catch (Exception e) when (MayBeCrash(e))
                {
                    throw await CrashedAsync(e).ConfigureAwait(false) ?? ExceptionDispatch(e);
                }
                yield return items.Current;
            }
        }
        finally
        {
            InFlight.Exit();
        }
    }

    public override TimeSpan DefaultCallTimeout => inner.DefaultCallTimeout;

    internal override string? RpcSystem => inner.RpcSystem;

    public override void Notify<TArgs>(MethodDescriptor method, TArgs args) => inner.Notify(method, args);

    // A failure other than the call's own outcome (a broken connection), while the process is gone or going: the
    // crash explains it.
    // An answer of the sidecar (a SidecarRemoteException without an inner exception) is never a crash, even
    // "shutting down"; a failure seen here (the connection broke) may be.
    private static bool MayBeCrash(Exception e)
        => e is not (OperationCanceledException or TimeoutException or SidecarCrashedException)
           && (e is not SidecarRemoteException || e.InnerException is not null);

    private static Exception ExceptionDispatch(Exception e)
    {
        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e);
        return e;
    }

    private async ValueTask<Exception?> CrashedAsync(Exception e)
    {
        if (await Task.WhenAny(owner.Exited, Task.Delay(250)).ConfigureAwait(false) != owner.Exited) return null;
        return await owner.ExplainConnectionLossAsync(e).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => inner is IAsyncDisposable d ? d.DisposeAsync() : default;
}
