using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using SidecarKit.Rpc;

namespace SidecarKit.Transports.Grpc;

/// <summary>
/// The channel behind an <see cref="AttachedSidecar"/>'s clients: each call goes to the sidecar once it is ready, waiting
/// for it (within the call's budget) while it is lost; a call that lost the connection has the attachment check at
/// once, and an idempotent one is retried once when the sidecar answers again. The wait and the retry come out of the
/// call's one budget, as with a supervisor's clients.
/// </summary>
internal sealed class AttachedChannel(AttachedSidecar owner) : RpcChannel
{
    public override TimeSpan DefaultCallTimeout => owner.DefaultCallTimeout;

    internal override string? RpcSystem => "grpc";

    public override async Task<TResult> InvokeAsync<TArgs, TResult, TCodec>(MethodDescriptor method, TArgs args, RpcCallOptions options, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            RpcChannel target = await owner.WaitForReadyAsync(method, options, cancellationToken).ConfigureAwait(false);
            try
            {
                return await target.InvokeAsync<TArgs, TResult, TCodec>(method, args, options, cancellationToken).ConfigureAwait(false);
            }
            catch (GrpcStatusException e) when (IsConnectionLoss(e))
            {
                owner.ReportConnectionLoss();
                if (!method.Idempotent || attempt > 0 || cancellationToken.IsCancellationRequested || options.Input is not null) throw;
                owner.Logger.LogInformation("'{Method}' is idempotent: retrying it once when '{Name}' answers again ({Reason}).", method.WireName, owner.Name, e.Message);
            }
        }
    }

    public override async IAsyncEnumerable<TItem> InvokeStreamAsync<TArgs, TItem, TCodec>(MethodDescriptor method, TArgs args, RpcCallOptions options,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        RpcChannel target = await owner.WaitForReadyAsync(method, options, cancellationToken).ConfigureAwait(false);
        await using IAsyncEnumerator<TItem> items = target.InvokeStreamAsync<TArgs, TItem, TCodec>(method, args, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            try
            {
                if (!await items.MoveNextAsync().ConfigureAwait(false)) yield break;
            }
            catch (GrpcStatusException e) when (IsConnectionLoss(e))
            {
                owner.ReportConnectionLoss();
                throw;
            }
            yield return items.Current;
        }
    }

    public override void Notify<TArgs>(MethodDescriptor method, TArgs args)
    {
        ValueTask<RpcChannel> ready = owner.WaitForReadyAsync(method, RpcCallOptions.For(method, owner.DefaultCallTimeout), CancellationToken.None);
        if (ready.IsCompletedSuccessfully) ready.Result.Notify(method, args);
        else _ = NotifyWhenReadyAsync(ready, method, args);
    }

    private async Task NotifyWhenReadyAsync<TArgs>(ValueTask<RpcChannel> ready, MethodDescriptor method, TArgs args) where TArgs : struct, SidecarKit.Wire.IWireArgs<TArgs>
    {
        try { (await ready.ConfigureAwait(false)).Notify(method, args); }
        catch (Exception e) { owner.Logger.LogWarning("Notification '{Method}' to '{Name}' was dropped: {Reason}", method.WireName, owner.Name, e.Message); }
    }

    // The client saw the connection fail (no answer of the sidecar's): grpc-dotnet's failure is kept as the inner exception.
    private static bool IsConnectionLoss(GrpcStatusException e) => e.Status == GrpcStatusCode.Unavailable && e.InnerException is not null;
}
