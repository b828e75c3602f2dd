using SidecarKit.Samples.Demo;
using StreamJsonRpc;

namespace SidecarKit.Interop.StreamJsonRpc.Tests;

/// <summary>
/// The demo contract (CONFORMANCE.md) implemented on StreamJsonRpc, the way its users write a server: wire names by
/// <see cref="JsonRpcMethodAttribute"/>, by-name params matched to parameter names, errors as
/// <see cref="LocalRpcException"/> with the application code.
/// </summary>
internal sealed class StreamJsonRpcDemoServer
{
    private readonly TaskCompletionSource _sleepCancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _sleepStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public readonly List<string> Logged = [];

    /// <summary>Completes when a <c>demo.sleep</c> call's token was cancelled by the client's <c>$/cancelRequest</c>.</summary>
    public Task SleepCancelled => _sleepCancelled.Task;

    /// <summary>Completes when a <c>demo.sleep</c> call is running.</summary>
    public Task SleepStarted => _sleepStarted.Task;

    [JsonRpcMethod("demo.add")]
    public int Add(int a, int b) => checked(a + b);

    [JsonRpcMethod("demo.echo")]
    public Person Echo(Person person) => person;

    [JsonRpcMethod("demo.divide")]
    public double Divide(double dividend, double divisor)
        => divisor == 0 ? throw new LocalRpcException("division by zero") { ErrorCode = DemoErrors.DivisionByZero } : dividend / divisor;

    [JsonRpcMethod("demo.sleep")]
    public async Task<string> SleepAsync(int milliseconds, CancellationToken cancellationToken)
    {
        using CancellationTokenRegistration _ = cancellationToken.Register(() => _sleepCancelled.TrySetResult());
        _sleepStarted.TrySetResult();
        await Task.Delay(milliseconds, cancellationToken);
        return "slept";
    }

    [JsonRpcMethod("demo.blob")]
    public byte[] Blob(int size)
    {
        var bytes = new byte[size];
        for (int i = 0; i < size; i++) bytes[i] = (byte)(i % 256);
        return bytes;
    }

    [JsonRpcMethod("demo.log")]
    public void Log(string message) { lock (Logged) Logged.Add(message); }
}
