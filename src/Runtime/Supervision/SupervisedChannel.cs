using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using SidecarKit.Processes;
using SidecarKit.Rpc;
using SidecarKit.Wire;

namespace SidecarKit.Supervision;

/// <summary>
/// The channel behind a supervisor's clients: routes each call to the current ready instance, waiting for one
/// (within the call's deadline) while the sidecar restarts. Never retries silently, except idempotent methods once.
/// The wait and a retry come out of the call's one budget (<see cref="RpcCallOptions"/>): the instance gets what is left.
/// </summary>
internal sealed class SupervisedChannel(SidecarSupervisor owner) : RpcChannel
{
    /// <summary>The calls of the supervisor's clients started and not finished (waiting for an instance included).</summary>
    public SidecarKit.Processes.CallsInFlight InFlight { get; } = new();

    public override TimeSpan DefaultCallTimeout => owner.Options.Process.Connection.DefaultCallTimeout;

    internal override string? RpcSystem => owner.CurrentRpcSystem;

    public override async Task<TResult> InvokeAsync<TArgs, TResult, TCodec>(MethodDescriptor method, TArgs args, RpcCallOptions options, CancellationToken cancellationToken)
    {
        InFlight.Enter();
        try
        {
            return await InvokeCoreAsync<TArgs, TResult, TCodec>(method, args, options, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            InFlight.Exit();
        }
    }

    private async Task<TResult> InvokeCoreAsync<TArgs, TResult, TCodec>(MethodDescriptor method, TArgs args, RpcCallOptions options, CancellationToken cancellationToken)
        where TArgs : struct, IWireArgs<TArgs>
        where TCodec : IWireCodec<TResult>
    {
        for (int attempt = 0; ; attempt++)
        {
            SidecarProcess instance = await WaitForInstanceAsync(method, options, cancellationToken).ConfigureAwait(false);
            try
            {
                return await instance.Channel.InvokeAsync<TArgs, TResult, TCodec>(method, args, options, cancellationToken).ConfigureAwait(false);
            }
            catch (SidecarCrashedException e) when (method.Idempotent && attempt == 0 && !cancellationToken.IsCancellationRequested
                && options.Input is null) // a streamed parameter was partly sent: it cannot be sent again
            {
                owner.Logger.LogInformation("'{Method}' is idempotent: retrying it once on the next instance of '{Name}' ({Reason}).", method.WireName, owner.Name, e.Message);
            }
        }
    }

    public override async IAsyncEnumerable<TItem> InvokeStreamAsync<TArgs, TItem, TCodec>(MethodDescriptor method, TArgs args, RpcCallOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        InFlight.Enter();
        try
        {
            SidecarProcess instance = await WaitForInstanceAsync(method, options, cancellationToken).ConfigureAwait(false);
            await foreach (TItem item in instance.Channel.InvokeStreamAsync<TArgs, TItem, TCodec>(method, args, options, cancellationToken).WithCancellation(cancellationToken).ConfigureAwait(false))
                yield return item;
        }
        finally
        {
            InFlight.Exit();
        }
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

    private async ValueTask<SidecarProcess> WaitForInstanceAsync(MethodDescriptor method, RpcCallOptions options, CancellationToken cancellationToken)
    {
        TimeSpan remaining = options.Remaining;
        TimeSpan limit = owner.Options.WaitForReadyTimeout;
        bool budgetFirst = remaining != Timeout.InfiniteTimeSpan && remaining <= limit;
        using var waitCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        waitCts.CancelAfter(budgetFirst ? remaining : limit);
        try
        {
            return await owner.WaitForReadyAsync(waitCts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The call's own budget ran out first (its timeout), or the supervisor's limit on waiting for a restart did.
            throw budgetFirst ? options.TimedOut(method) : new SidecarTimeoutException(method.WireName, limit);
        }
    }
}
