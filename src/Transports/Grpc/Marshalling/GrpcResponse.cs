namespace SidecarKit.Transports.Grpc.Marshalling;

/// <summary>
/// A contract method's response message as grpc-dotnet carries it: the result (or one item of a stream) in a class,
/// because <c>CallInvoker</c> and the server's method binding take reference types only. Methods without a result
/// use <see cref="SidecarKit.Wire.VoidResult"/> (the message is <c>google.protobuf.Empty</c>).
/// </summary>
/// <typeparam name="TResult">The result or item type.</typeparam>
public sealed class GrpcResponse<TResult>
{
    /// <summary>The response that carries the default value (one instance: the empty message of methods without a result).</summary>
    public static GrpcResponse<TResult> Default { get; } = new(default!);

    /// <summary>Wraps <paramref name="value"/>.</summary>
    public GrpcResponse(TResult value) => Value = value;

    /// <summary>The result or item.</summary>
    public TResult Value { get; }
}
