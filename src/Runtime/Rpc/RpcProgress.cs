using SidecarKit.Wire;

namespace SidecarKit.Rpc;

/// <summary>
/// The callee's side of an <see cref="IProgress{T}"/> parameter: each report travels to the caller as a
/// <c>$/progress</c> notification tied to the call (<c>{ "id": …, "item": … }</c>), written before the call's answer,
/// so the caller sees every report, in order, before the call completes. Generated dispatchers call
/// <see cref="Current{T, TCodec}"/> for the argument; a transport that cannot carry reports (gRPC) gets one that drops them.
/// </summary>
public static class RpcProgress
{
    private static readonly AsyncLocal<IProgressChannel?> s_current = new();

    /// <summary>The progress of the call being served here, reported to its caller; reports after its answer are dropped.</summary>
    public static IProgress<T> Current<T, TCodec>() where TCodec : IWireCodec<T>
        => s_current.Value is { } channel ? new Reporter<T, TCodec>(channel) : Dropped<T>.Instance;

    /// <summary>Makes <paramref name="channel"/> the current call's for the rest of the calling async method (and what it awaits).</summary>
    internal static void Enter(IProgressChannel channel) => s_current.Value = channel;

    private sealed class Reporter<T, TCodec>(IProgressChannel channel) : IProgress<T> where TCodec : IWireCodec<T>
    {
        public void Report(T value) => channel.Report<T, TCodec>(value);
    }

    private sealed class Dropped<T> : IProgress<T>
    {
        public static readonly Dropped<T> Instance = new();

        public void Report(T value) { }
    }
}

/// <summary>Where a served call's progress reports go: its connection, tagged with its id.</summary>
internal interface IProgressChannel
{
    void Report<T, TCodec>(T value) where TCodec : IWireCodec<T>;
}

/// <summary>
/// The caller's side of an <see cref="IProgress{T}"/> parameter, carried in <see cref="RpcCallOptions.Progress"/>: the
/// caller's own <see cref="IProgress{T}"/> and the codec its reports are read with.
/// </summary>
public abstract class RpcProgressTarget
{
    private protected RpcProgressTarget()
    {
    }

    /// <summary>Reads a <c>$/progress</c> report and hands it to the caller (on the connection's read loop, in order).</summary>
    internal abstract void Report(RpcProtocol protocol, in RpcMessage message);
}

/// <summary>The caller's <see cref="IProgress{T}"/> for reports of type <typeparamref name="T"/>, read with <typeparamref name="TCodec"/>.</summary>
public sealed class RpcProgressTarget<T, TCodec>(IProgress<T> progress) : RpcProgressTarget where TCodec : IWireCodec<T>
{
    /// <summary>The caller's progress.</summary>
    public IProgress<T> Progress { get; } = progress ?? throw new ArgumentNullException(nameof(progress));

    internal override void Report(RpcProtocol protocol, in RpcMessage message)
    {
        T value = protocol.ReadArgs<StreamItemParams<T, TCodec>>(in message).Item; // unreadable: the message's fault
        try
        {
            Progress.Report(value);
        }
        catch (Exception e)
        {
            throw new ProgressHandlerException(e); // the caller's handler's fault: told apart from an unreadable report
        }
    }
}

/// <summary>The caller's <see cref="IProgress{T}.Report"/> threw (wrapped, so the read loop logs it as the handler's).</summary>
internal sealed class ProgressHandlerException(Exception inner) : Exception(inner.Message, inner);
