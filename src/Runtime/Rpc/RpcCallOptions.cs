namespace SidecarKit.Rpc;

/// <summary>
/// What travels with one call besides its arguments: its time budget, resolved once where the call enters the
/// channels (the generated proxy's call to <see cref="RpcChannel"/>) as an absolute deadline. Channels that wrap
/// others (a supervisor waiting for a ready instance, a process binding) pass the same value on, so time spent in
/// one hop is taken from the budget of the next: a call never takes longer than its timeout, retries included.
/// </summary>
public readonly struct RpcCallOptions
{
    private readonly long _deadlineTicks; // Environment.TickCount64 (monotonic); 0 when there is no deadline

    /// <summary>Options whose deadline is <paramref name="timeout"/> from now (<see cref="System.Threading.Timeout.InfiniteTimeSpan"/> for none).</summary>
    public RpcCallOptions(TimeSpan timeout) : this(timeout, isDefault: false)
    {
    }

    private RpcCallOptions(TimeSpan timeout, bool isDefault)
    {
        Timeout = timeout;
        IsDefault = isDefault;
        _deadlineTicks = timeout == System.Threading.Timeout.InfiniteTimeSpan || timeout < TimeSpan.Zero
            ? 0
            : Math.Max(1, Environment.TickCount64 + (long)Math.Min(timeout.TotalMilliseconds, long.MaxValue / 2));
    }

    /// <summary>
    /// The budget the call was given, as resolved (what a <see cref="SidecarTimeoutException"/> reports);
    /// <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> when it has none. Default: none.
    /// </summary>
    public TimeSpan Timeout { get; }

    /// <summary>
    /// Whether the budget is the channel's default, a safety net nobody chose for this call (no
    /// <see cref="SidecarCall.WithTimeout"/> scope, no method timeout). A transport may enforce such a deadline on its
    /// own side only, as the RPC connections do, instead of sending it (gRPC sends only a chosen one).
    /// </summary>
    public bool IsDefault { get; }

    /// <summary>
    /// The items the caller streams to the method (client and bidirectional streaming); <see langword="null"/> for a
    /// method without an <see cref="IAsyncEnumerable{T}"/> parameter. Default: none.
    /// </summary>
    public RpcInput? Input { get; init; }

    /// <summary>Where the callee's progress reports go (an <see cref="IProgress{T}"/> parameter); <see langword="null"/> for none. Default: none.</summary>
    public RpcProgressTarget? Progress { get; init; }

    /// <summary>Whether the call has a deadline.</summary>
    public bool HasDeadline => _deadlineTicks != 0;

    /// <summary>When the call's budget runs out, in <see cref="Environment.TickCount64"/> milliseconds; <see cref="long.MaxValue"/> for never.</summary>
    public long DeadlineTicks => _deadlineTicks == 0 ? long.MaxValue : _deadlineTicks;

    /// <summary>What is left of the budget now (zero once it ran out); <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> without a deadline.</summary>
    public TimeSpan Remaining => _deadlineTicks == 0
        ? System.Threading.Timeout.InfiniteTimeSpan
        : TimeSpan.FromMilliseconds(Math.Max(0, _deadlineTicks - Environment.TickCount64));

    /// <summary>The deadline on the wall clock (UTC), for transports that send one (gRPC); <see langword="null"/> without a deadline.</summary>
    public DateTime? DeadlineUtc
    {
        get
        {
            if (_deadlineTicks == 0) return null;
            DateTime now = DateTime.UtcNow;
            TimeSpan remaining = Remaining;
            return remaining >= DateTime.MaxValue - now ? DateTime.MaxValue : now + remaining;
        }
    }

    /// <summary>
    /// Resolves a call's budget once: the innermost <see cref="SidecarCall.WithTimeout"/> scope, else the method's
    /// <c>TimeoutMilliseconds</c>, else <paramref name="defaultTimeout"/> (a channel's default for calls with a result).
    /// Streams run for as long as their consumer reads or their producer writes (streamed results, streamed
    /// parameters, both): they get only an explicit timeout (scope or method).
    /// </summary>
    public static RpcCallOptions For(MethodDescriptor method, TimeSpan defaultTimeout)
    {
        ArgumentNullException.ThrowIfNull(method);
        if ((SidecarCall.CurrentTimeout ?? method.Timeout) is { } chosen) return new RpcCallOptions(chosen);
        return method.Kind is MethodKind.ServerStream or MethodKind.ClientStream or MethodKind.DuplexStream
            ? new RpcCallOptions(System.Threading.Timeout.InfiniteTimeSpan)
            : new RpcCallOptions(defaultTimeout, isDefault: true);
    }

    /// <summary>The timeout error for <paramref name="method"/> with this budget.</summary>
    public SidecarTimeoutException TimedOut(MethodDescriptor method) => new(method.WireName, Timeout);
}
