namespace SidecarKit.Generator.Model;

/// <summary>How a method returns.</summary>
internal enum ReturnShape
{
    Void,
    Task,
    TaskOfT,
    ValueTask,
    ValueTaskOfT,
    AsyncEnumerable,
}

/// <summary>One contract method.</summary>
/// <param name="Reserved">The parameters' field numbers reserved with <c>[SidecarReserved]</c>, sorted (empty for none).</param>
/// <param name="DeclaringInterface">The base interface that declares an inherited method (fully qualified), or null for the contract's own.</param>
internal sealed record MethodModel(
    string Name,
    string WireName,
    ReturnShape Shape,
    TypeRef? Result,
    string ReturnTypeText,
    EquatableArray<ParameterModel> Parameters,
    string? CancellationTokenName,
    int TimeoutMilliseconds,
    bool Idempotent,
    EquatableArray<int> Reserved,
    string? DeclaringInterface = null)
{
    /// <summary>The generated args struct's name.</summary>
    public string ArgsTypeName => "__" + Name + "_Args";

    /// <summary>The generated static field holding the method's descriptor.</summary>
    public string DescriptorField => "s_" + Name;

    /// <summary>
    /// The streamed parameter (an <c>IAsyncEnumerable&lt;T&gt;</c>; its <see cref="ParameterModel.Type"/> is the item
    /// type and its field number is resolved), or null. It is not in <see cref="Parameters"/>: its items are not params.
    /// </summary>
    public ParameterModel? Input { get; init; }

    /// <summary>Where <see cref="Input"/> stands among the C# parameters (the CancellationToken aside); -1 for none.</summary>
    public int InputPosition { get; init; } = -1;

    /// <summary>The streamed parameter's declared type as written in the proxy (<c>IAsyncEnumerable&lt;int&gt;</c>, nullable or not).</summary>
    public string? InputTypeText { get; init; }

    /// <summary>The type of the progress an <c>IProgress&lt;T&gt;</c> parameter reports (its T), or null. It is not in <see cref="Parameters"/>.</summary>
    public TypeRef? Progress { get; init; }

    /// <summary>The <c>IProgress&lt;T&gt;</c> parameter's C# name.</summary>
    public string? ProgressName { get; init; }

    /// <summary>Where the <c>IProgress&lt;T&gt;</c> parameter stands among the C# parameters; -1 for none.</summary>
    public int ProgressPosition { get; init; } = -1;

    /// <summary>The <c>IProgress&lt;T&gt;</c> parameter's declared type as written in the proxy.</summary>
    public string? ProgressTypeText { get; init; }

    /// <summary>The application errors declared with <c>[SidecarError]</c> on the contract and the method (empty for none).</summary>
    public EquatableArray<ErrorModel> Errors { get; init; }

    /// <summary>Whether the streamed parameter is a <c>Stream</c>, sent as byte chunks (<c>ByteStreams</c>).</summary>
    public bool InputIsStream { get; init; }

    /// <summary>Whether the result is a <c>Task&lt;Stream&gt;</c> or <c>ValueTask&lt;Stream&gt;</c>, received as byte chunks; <see cref="Result"/> is then the chunk.</summary>
    public bool ResultIsStream { get; init; }

    /// <summary>Whether the result crosses as a stream (an <c>IAsyncEnumerable&lt;T&gt;</c>, or a <c>Stream</c> in chunks).</summary>
    public bool StreamsResult => Shape == ReturnShape.AsyncEnumerable || ResultIsStream;

    /// <summary>The runtime's <c>MethodKind</c> member.</summary>
    public string Kind => Shape switch
    {
        ReturnShape.Void => "Notification",
        _ when StreamsResult => Input is null ? "ServerStream" : "DuplexStream",
        _ when Input is not null => "ClientStream",
        ReturnShape.Task or ReturnShape.ValueTask => "UnaryVoid",
        _ => "Unary",
    };

    /// <summary>The kind's name in the contract description (<c>--describe json</c>) and the ready line's shapes.</summary>
    public string KindName => Kind switch
    {
        "Notification" => "notification",
        "ServerStream" => "stream",
        "ClientStream" => "clientStream",
        "DuplexStream" => "duplexStream",
        _ => "request",
    };

    /// <summary>Whether the C# method returns no value to its caller (Task, ValueTask, void).</summary>
    public bool ReturnsNothing => Shape is ReturnShape.Void or ReturnShape.Task or ReturnShape.ValueTask;
}

/// <summary>An application error a method declares (<c>[SidecarError(code, message)]</c>).</summary>
internal sealed record ErrorModel(int Code, string Message);

/// <summary>One parameter (the trailing CancellationToken is not one).</summary>
/// <param name="Field">The field number given by <c>[SidecarField]</c>, or 0 for the position.</param>
internal sealed record ParameterModel(string Name, string WireName, TypeRef Type, bool IsOptional, string? DefaultValueText, int Field = 0);
