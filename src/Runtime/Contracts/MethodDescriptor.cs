namespace SidecarKit;

/// <summary>How a contract method is called.</summary>
public enum MethodKind
{
    /// <summary>A request with a result (<c>Task&lt;T&gt;</c>, <c>ValueTask&lt;T&gt;</c>).</summary>
    Unary,
    /// <summary>A request whose completion is its only result (<c>Task</c>, <c>ValueTask</c>).</summary>
    UnaryVoid,
    /// <summary>A one-way notification (<c>void</c>): no response, no error report.</summary>
    Notification,
    /// <summary>A request whose result is a stream of items (<c>IAsyncEnumerable&lt;T&gt;</c>).</summary>
    ServerStream,
    /// <summary>A request with one <c>IAsyncEnumerable&lt;T&gt;</c> parameter whose items the caller streams, and one result (or none).</summary>
    ClientStream,
    /// <summary>A request with one <c>IAsyncEnumerable&lt;T&gt;</c> parameter and a stream as its result: items flow both ways at once.</summary>
    DuplexStream,
}

/// <summary>Describes one contract method. Emitted by the source generator.</summary>
public sealed class MethodDescriptor
{
    /// <summary>Creates a descriptor. Called by generated code.</summary>
    public MethodDescriptor(string contract, string wireName, string clrName, MethodKind kind, int timeoutMilliseconds = 0, bool idempotent = false, Schema.WireType? result = null,
        Schema.WireField? input = null, IReadOnlyList<SidecarErrorInfo>? errors = null)
    {
        Errors = errors ?? [];
        Contract = contract;
        WireName = wireName;
        ClrName = clrName;
        Kind = kind;
        Timeout = timeoutMilliseconds switch
        {
            0 => null,
            < 0 => System.Threading.Timeout.InfiniteTimeSpan,
            _ => TimeSpan.FromMilliseconds(timeoutMilliseconds),
        };
        Idempotent = idempotent;
        Result = result;
        Input = input;
    }

    /// <summary>The contract's wire name.</summary>
    public string Contract { get; }

    /// <summary>The method's full wire name (<c>demo.add</c>).</summary>
    public string WireName { get; }

    /// <summary>The C# method name (<c>AddAsync</c>).</summary>
    public string ClrName { get; }

    /// <summary>How the method is called.</summary>
    public MethodKind Kind { get; }

    /// <summary>The method's own timeout, or <see langword="null"/> for the connection default.</summary>
    public TimeSpan? Timeout { get; }

    /// <summary>Whether the contract marks the method idempotent.</summary>
    public bool Idempotent { get; }

    /// <summary>The result's type, or a stream's item type; <see langword="null"/> when the method has none (void, notifications).</summary>
    public Schema.WireType? Result { get; }

    /// <summary>
    /// The streamed parameter of a <see cref="MethodKind.ClientStream"/> or <see cref="MethodKind.DuplexStream"/> method:
    /// its wire name, its item type and its field number; <see langword="null"/> for the other kinds.
    /// </summary>
    public Schema.WireField? Input { get; }

    /// <summary>The application errors the method declares (<see cref="SidecarErrorAttribute"/>), in declaration order; empty for none.</summary>
    public IReadOnlyList<SidecarErrorInfo> Errors { get; }

    /// <summary>Whether the caller streams items to the method (<see cref="MethodKind.ClientStream"/>, <see cref="MethodKind.DuplexStream"/>).</summary>
    public bool HasInput => Kind is MethodKind.ClientStream or MethodKind.DuplexStream;

    /// <summary>Whether the method's result is a stream (<see cref="MethodKind.ServerStream"/>, <see cref="MethodKind.DuplexStream"/>).</summary>
    public bool StreamsResult => Kind is MethodKind.ServerStream or MethodKind.DuplexStream;

    /// <inheritdoc />
    public override string ToString() => WireName;
}
