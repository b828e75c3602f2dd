using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace SidecarKit.Samples.Demo.Sidecar;

/// <summary>The demo contract, exactly as CONFORMANCE.md describes it.</summary>
public sealed class DemoService(IDemoEvents parent, ILogger logger) : IDemo
{
    public Task<int> AddAsync(int a, int b, CancellationToken ct)
    {
        try
        {
            return Task.FromResult(checked(a + b));
        }
        catch (OverflowException)
        {
            throw new SidecarRemoteException(Rpc.RpcErrorCodes.InvalidParams, $"{a} + {b} overflows a 32-bit integer");
        }
    }

    public Task<Person> EchoAsync(Person person, CancellationToken ct) => Task.FromResult(person);

    public Task<double> DivideAsync(double dividend, double divisor, CancellationToken ct)
        => divisor == 0
            ? throw new SidecarRemoteException(DemoErrors.DivisionByZero, "division by zero")
            : Task.FromResult(dividend / divisor);

    public async IAsyncEnumerable<int> CountAsync(int to, [EnumeratorCancellation] CancellationToken ct)
    {
        for (int i = 1; i <= to; i++)
        {
            ct.ThrowIfCancellationRequested();
            yield return i;
        }
        await Task.CompletedTask;
    }

    public async Task<string> SleepAsync(int milliseconds, CancellationToken ct)
    {
        await Task.Delay(milliseconds, ct);
        return "slept";
    }

    public Task<byte[]> BlobAsync(int size, CancellationToken ct)
    {
        if (size < 0) throw new SidecarRemoteException(Rpc.RpcErrorCodes.InvalidParams, "size must not be negative");
        var bytes = new byte[size];
        for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)(i % 256);
        return Task.FromResult(bytes);
    }

    public void Log(string message) => logger.LogInformation("demo.log: {Message}", message);

    public Task ExitAsync(int code)
    {
        Environment.Exit(code);
        return Task.CompletedTask;
    }

    public async Task<int> WorkAsync(int steps, CancellationToken ct)
    {
        for (int i = 0; i < steps; i++)
        {
            ct.ThrowIfCancellationRequested();
            parent.Progress("work", 100 * i / steps);
        }
        if (!await parent.ConfirmAsync("commit?", ct))
            throw new SidecarRemoteException(DemoErrors.DeclinedByParent, "declined by parent");
        return steps;
    }

    public async Task<long> SumAsync(IAsyncEnumerable<int> values, CancellationToken ct)
    {
        long sum = 0;
        await foreach (int value in values.WithCancellation(ct)) sum += value;
        return sum;
    }

    public async IAsyncEnumerable<string> ChatAsync(string prefix, IAsyncEnumerable<string> lines, [EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (string line in lines.WithCancellation(ct)) yield return prefix + line;
    }

    public Task<double> AreaAsync(Shape shape, CancellationToken ct) => Task.FromResult(shape switch
    {
        Circle c => Math.PI * c.Radius * c.Radius,
        Rectangle r => r.Width * r.Height,
        _ => throw new SidecarRemoteException(Rpc.RpcErrorCodes.InvalidParams, $"unknown shape {shape.GetType().Name}"),
    });
}
