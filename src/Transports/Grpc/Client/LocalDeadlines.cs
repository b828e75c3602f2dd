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

    /// <summary>
    /// Starts counting <paramref name="deadlineTicks"/> (<see cref="Environment.TickCount64"/>) for a call; give it the
    /// gRPC call once made (<see cref="Call.Attach"/>) and dispose the result when the call ends. No cancellation source
    /// per call: an expired call is ended by disposing its gRPC call (which cancels it), and the caller's own token goes
    /// to grpc-dotnet as it is (usually one that cannot be cancelled, which costs it nothing).
    /// </summary>
    public Call Start(long deadlineTicks)
    {
        var call = new Call(this, deadlineTicks);
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
        foreach (Call call in expired) call.Expire();
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

    /// <summary>One call's deadline.</summary>
    public sealed class Call(LocalDeadlines owner, long deadlineTicks) : IDisposable
    {
        private readonly Lock _gate = new();
        private IDisposable? _grpcCall;
        private volatile bool _expired;

        public long DeadlineTicks { get; } = deadlineTicks;

        /// <summary>Whether the deadline passed (the sweep ended the call), rather than the call ending by itself.</summary>
        public bool Expired => _expired;

        /// <summary>The gRPC call to end when the deadline passes; ended at once if it passed already.</summary>
        public void Attach(IDisposable grpcCall)
        {
            lock (_gate)
            {
                if (_expired) grpcCall.Dispose();
                else _grpcCall = grpcCall;
            }
        }

        internal void Expire()
        {
            IDisposable? grpcCall;
            lock (_gate)
            {
                _expired = true;
                grpcCall = _grpcCall;
            }
            // Disposing a gRPC call that has not finished cancels it (its response fails with CANCELLED); one that
            // finished meanwhile ignores it.
            grpcCall?.Dispose();
        }

        public void Dispose() => owner.Remove(this);
    }
}
