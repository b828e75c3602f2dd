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

    /// <summary>The runtime's <c>MethodKind</c> member.</summary>
    public string Kind => Shape switch
    {
        ReturnShape.Void => "Notification",
        ReturnShape.Task or ReturnShape.ValueTask => "UnaryVoid",
        ReturnShape.AsyncEnumerable => "ServerStream",
        _ => "Unary",
    };
}

/// <summary>One parameter (the trailing CancellationToken is not one).</summary>
/// <param name="Field">The field number given by <c>[SidecarField]</c>, or 0 for the position.</param>
internal sealed record ParameterModel(string Name, string WireName, TypeRef Type, bool IsOptional, string? DefaultValueText, int Field = 0);
