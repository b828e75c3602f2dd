namespace SidecarKit.Transports.Grpc;

/// <summary>
/// The deadlines a channel keeps on its own side: the default budget of calls nobody gave one
/// (<see cref="SidecarKit.Rpc.RpcCallOptions.IsDefault"/>). One sweep per channel cancels the calls that ran out, as
/// the RPC connections do, so the common call costs neither a timer per call on each side nor a <c>grpc-timeout</c>
/// for the server to track. A chosen deadline (a <see cref="SidecarKit.Rpc.SidecarCall.WithTimeout"/> scope, a method's timeout)
/// is sent as the gRPC deadline instead, and reaches the sidecar.
/// </summary>
internal sealed class LocalDeadlines : IDisposable
{
    private static readonly TimeSpan s_period = TimeSpan.FromMilliseconds(50);

    private readonly HashSet<Call> _calls = [];
    private ITimer? _sweep;
    private bool _disposed;

    /// <summary>Starts counting <paramref name="deadlineTicks"/> (<see cref="Environment.TickCount64"/>) for a call; dispose the result when the call ends.</summary>
    public Call Start(long deadlineTicks, CancellationToken caller)
    {
        var call = new Call(this, deadlineTicks);
        // The caller's token ends the call too: one token for grpc-dotnet, and a registration only when it can fire.
        if (caller.CanBeCanceled) call.CallerRegistration = caller.UnsafeRegister(static s => ((Call)s!).Cancel(), call);
        lock (_calls)
        {
            if (_disposed) return call;
            _calls.Add(call);
            _sweep ??= TimeProvider.System.CreateTimer(static s => ((LocalDeadlines)s!).Sweep(), this, s_period, s_period);
        }
        return call;
    }

    private void Sweep()
    {
        long now = Environment.TickCount64;
        List<Call>? expired = null;
        lock (_calls)
        {
            foreach (Call call in _calls)
                if (call.DeadlineTicks <= now) (expired ??= []).Add(call);
            if (expired is not null) foreach (Call call in expired) _calls.Remove(call);
        }
        if (expired is null) return;
        foreach (Call call in expired)
        {
            call.Expired = true;
            try { call.Cancel(); }
            catch (ObjectDisposedException) { }   // it ended meanwhile
        }
    }

    private void Remove(Call call)
    {
        lock (_calls) _calls.Remove(call);
    }

    public void Dispose()
    {
        lock (_calls)
        {
            _disposed = true;
            _calls.Clear();
            _sweep?.Dispose();
        }
    }

    /// <summary>One call's cancellation: its deadline or its caller.</summary>
    public sealed class Call(LocalDeadlines owner, long deadlineTicks) : CancellationTokenSource
    {
        public long DeadlineTicks { get; } = deadlineTicks;

        /// <summary>Whether the sweep cancelled it (its deadline passed), not the caller.</summary>
        public bool Expired { get; set; }

        internal CancellationTokenRegistration CallerRegistration { get; set; }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                CallerRegistration.Dispose();
                owner.Remove(this);
            }
            base.Dispose(disposing);
        }
    }
}
