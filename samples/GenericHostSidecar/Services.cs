using System.Runtime.CompilerServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SidecarKit.Samples.Demo;

namespace SidecarKit.Samples.GenericHostSidecar;

/// <summary>A dependency of the contract's implementation, configured from appsettings.json.</summary>
public sealed class Greeter(string greeting)
{
    public string Greeting => greeting;
}

/// <summary>A hosted service that runs beside the sidecar's contracts and stops with the host.</summary>
public sealed class Heartbeat(ILogger<Heartbeat> logger) : BackgroundService
{
    private int _beats;

    /// <summary>How many times it beat so far.</summary>
    public int Beats => Volatile.Read(ref _beats);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        logger.LogInformation("Heartbeat started.");
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                Interlocked.Increment(ref _beats);
                await Task.Delay(50, stoppingToken);
            }
        }
        catch (OperationCanceledException) { }
        logger.LogInformation("Heartbeat stopped after {Beats} beats.", Beats);
    }
}

/// <summary>
/// The demo contract with its dependencies injected: the greeter, the heartbeat, a logger, and the channel of the
/// connection that called, as the parent's IDemoEvents (a client over that connection).
/// </summary>
public sealed class DemoService(Greeter greeter, Heartbeat heartbeat, ILogger<DemoService> logger, IDemoEvents parent) : IDemo, IDisposable
{
    private static int s_instances;
    private readonly int _instance = Interlocked.Increment(ref s_instances);

    public Task<int> AddAsync(int a, int b, CancellationToken ct) => Task.FromResult(checked(a + b));

    /// <summary>The person, with tags that show where the answer came from: the greeting, the heartbeat, this instance.</summary>
    public Task<Person> EchoAsync(Person person, CancellationToken ct)
        => Task.FromResult(person with
        {
            Tags = [.. person.Tags, "greeting:" + greeter.Greeting, "heartbeat:" + (heartbeat.Beats > 0 ? "running" : "not running"), "instance:" + _instance],
        });

    public Task<double> DivideAsync(double dividend, double divisor, CancellationToken ct)
        => divisor == 0 ? throw new SidecarRemoteException(DemoErrors.DivisionByZero, "division by zero") : Task.FromResult(dividend / divisor);

    public async IAsyncEnumerable<int> CountAsync(int to, [EnumeratorCancellation] CancellationToken ct)
    {
        for (int i = 1; i <= to; i++)
        {
            ct.ThrowIfCancellationRequested();
            yield return i;
            await Task.Yield();
        }
    }

    public async Task<string> SleepAsync(int milliseconds, CancellationToken ct)
    {
        await Task.Delay(milliseconds, ct);
        return "slept";
    }

    public Task<byte[]> BlobAsync(int size, CancellationToken ct)
    {
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
        for (int i = 0; i < steps; i++) parent.Progress("work", 100 * i / steps);
        if (!await parent.ConfirmAsync("commit?", ct))
            throw new SidecarRemoteException(DemoErrors.DeclinedByParent, "declined by parent");
        return steps;
    }

    public void Dispose() => logger.LogDebug("DemoService {Instance} disposed.", _instance);
}
