namespace SidecarKit.Rpc;

/// <summary>
/// The gate in front of everything a connection receives. A host that admits connections (a sidecar's socket) sets an
/// <see cref="IConnectionAdmission"/>: its first message is judged, and nothing is routed, run or answered before it
/// is admitted. Without one the gate opens when the connection starts.
/// </summary>
/// <remarks>
/// Its own type, and asked by <see cref="ConnectionReader"/> rather than the router, because a refusal stops reading:
/// the reader owns that decision, the router only ever sees admitted messages.
/// </remarks>
internal sealed class AdmissionGate
{
    private readonly TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Judges the first message; <see langword="null"/> admits every connection. Set before the connection starts.</summary>
    public IConnectionAdmission? Admission { get; set; }

    /// <summary>Runs (on the read loop) once the gate opens, before the task <see cref="Opened"/> completes.</summary>
    public Action? Admitted { get; set; }

    /// <summary>Completes once the connection is admitted.</summary>
    public Task Opened => _opened.Task;

    /// <summary>Whether messages go through now; read once per message, so it is a plain task-state check.</summary>
    public bool IsOpen => _opened.Task.IsCompleted;

    /// <summary>At start: opens at once when there is nothing to judge.</summary>
    public void OpenIfUnguarded()
    {
        if (Admission is null) Open();
    }

    /// <summary>Judges the first message: opens the gate, or returns why the connection is refused.</summary>
    public string? Judge(RpcProtocol protocol, in RpcMessage first)
    {
        if (Admission!.Check(protocol, in first) is { } refusal) return refusal;
        Open();
        return null;
    }

    private void Open()
    {
        Admitted?.Invoke();
        _opened.TrySetResult();
    }
}
