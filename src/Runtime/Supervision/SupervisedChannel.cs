using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using SidecarKit.Processes;
using SidecarKit.Rpc;
using SidecarKit.Wire;

namespace SidecarKit.Supervision;

/// <summary>
/// The channel behind a supervisor's clients: routes each call to the current ready instance, waiting for one
/// (within the call's timeout) while the sidecar restarts. Never retries silently, except idempotent methods once.
/// </summary>
internal sealed class SupervisedChannel(SidecarSupervisor owner) : RpcChannel
{
    public override async Task<TResult> InvokeAsync<TArgs, TResult, TCodec>(MethodDescriptor method, TArgs args, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            SidecarProcess instance = await WaitForInstanceAsync(method, cancellationToken).ConfigureAwait(false);
            try
            {
                return await instance.Channel.InvokeAsync<TArgs, TResult, TCodec>(method, args, cancellationToken).ConfigureAwait(false);
            }
            catch (SidecarCrashedException e) when (method.Idempotent && attempt == 0 && !cancellationToken.IsCancellationRequested)
            {
                owner.Logger.LogInformation("'{Method}' is idempotent: retrying it once on the next instance of '{Name}' ({Reason}).", method.WireName, owner.Name, e.Message);
            }
        }
    }

    public override async IAsyncEnumerable<TItem> InvokeStreamAsync<TArgs, TItem, TCodec>(MethodDescriptor method, TArgs args, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        SidecarProcess instance = await WaitForInstanceAsync(method, cancellationToken).ConfigureAwait(false);
        await foreach (TItem item in instance.Channel.InvokeStreamAsync<TArgs, TItem, TCodec>(method, args, cancellationToken).WithCancellation(cancellationToken).ConfigureAwait(false))
            yield return item;
    }

    public override void Notify<TArgs>(MethodDescriptor method, TArgs args)
    {
        ValueTask<SidecarProcess> ready = owner.WaitForReadyAsync(CancellationToken.None);
        if (ready.IsCompletedSuccessfully) ready.Result.Channel.Notify(method, args);
        else _ = NotifyWhenReadyAsync(ready, method, args);
    }

    private async Task NotifyWhenReadyAsync<TArgs>(ValueTask<SidecarProcess> ready, MethodDescriptor method, TArgs args) where TArgs : struct, IWireArgs<TArgs>
    {
        try { (await ready.ConfigureAwait(false)).Channel.Notify(method, args); }
        catch (Exception e) { owner.Logger.LogWarning("Notification '{Method}' to '{Name}' was dropped: {Reason}", method.WireName, owner.Name, e.Message); }
    }

    private async ValueTask<SidecarProcess> WaitForInstanceAsync(MethodDescriptor method, CancellationToken cancellationToken)
    {
        TimeSpan timeout = SidecarCall.CurrentTimeout ?? method.Timeout ?? owner.Options.Process.Connection.DefaultCallTimeout;
        TimeSpan wait = timeout == Timeout.InfiniteTimeSpan || timeout > owner.Options.WaitForReadyTimeout ? owner.Options.WaitForReadyTimeout : timeout;
        using var waitCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        waitCts.CancelAfter(wait);
        try
        {
            return await owner.WaitForReadyAsync(waitCts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SidecarTimeoutException(method.WireName, wait);
        }
    }
}
