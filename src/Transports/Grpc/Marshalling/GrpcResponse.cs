namespace SidecarKit.Transports.Grpc.Marshalling;

/// <summary>
/// A contract method's response message as grpc-dotnet carries it: the result (or one stream item) in a class, so that a
/// <see langword="null"/> result is a message like any other (an absent field 1) and grpc-dotnet takes it.
/// </summary>
/// <typeparam name="TResult">The result or item type (<see cref="SidecarKit.Wire.VoidResult"/> for none).</typeparam>
public sealed class GrpcResponse<TResult>
{
    /// <summary>The response carrying the default value.</summary>
    public static GrpcResponse<TResult> Default { get; } = new(default!);

    /// <summary>Wraps <paramref name="value"/>.</summary>
    public GrpcResponse(TResult value) => Value = value;

    /// <summary>The result or item.</summary>
    public TResult Value { get; }
}
