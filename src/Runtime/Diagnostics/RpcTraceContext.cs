namespace SidecarKit.Diagnostics;

/// <summary>
/// The W3C trace context that travels with a call (<c>traceparent</c>, <c>tracestate</c>): in <c>params._meta</c> on
/// JSON-RPC, in a trailing <c>{"_meta": {…}}</c> map after the params on MessagePack-RPC, in the headers on gRPC (see
/// docs/observability.md).
/// </summary>
/// <param name="TraceParent">The <c>traceparent</c> (<c>00-&lt;trace id&gt;-&lt;span id&gt;-&lt;flags&gt;</c>), or null.</param>
/// <param name="TraceState">The <c>tracestate</c>, or null.</param>
public readonly record struct RpcTraceContext(string? TraceParent, string? TraceState)
{
    /// <summary>The member of <c>params</c> (or the trailing map) that carries the context: <c>_meta</c>.</summary>
    public const string MetaMember = "_meta";

    /// <summary>Whether there is a context to send.</summary>
    public bool IsEmpty => TraceParent is null;

    /// <summary>The current activity's context (<see cref="System.Diagnostics.Activity.Current"/>), or an empty one.</summary>
    public static RpcTraceContext Current
    {
        get
        {
            System.Diagnostics.Activity? current = System.Diagnostics.Activity.Current;
            return current is { IdFormat: System.Diagnostics.ActivityIdFormat.W3C } ? new(current.Id, current.TraceStateString) : default;
        }
    }
}
