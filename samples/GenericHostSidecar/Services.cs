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
/// connection that called, as the parent's IDemoEvents (a client over that connection). What the injection shows is
/// here (echo tags its answer); every other method is the demo sidecar's own implementation, linked into this project.
/// </summary>
public sealed class DemoService(Greeter greeter, Heartbeat heartbeat, ILogger<DemoService> logger, IDemoEvents parent) : IDemo, IDisposable
{
    private static int s_instances;
    private readonly int _instance = Interlocked.Increment(ref s_instances);
    private readonly Demo.Sidecar.DemoService _demo = new(parent, logger);

    public Task<int> AddAsync(int a, int b, CancellationToken ct) => _demo.AddAsync(a, b, ct);

    /// <summary>The person, with tags that show where the answer came from: the greeting, the heartbeat, this instance.</summary>
    public Task<Person> EchoAsync(Person person, CancellationToken ct)
        => Task.FromResult(person with
        {
            Tags = [.. person.Tags, "greeting:" + greeter.Greeting, "heartbeat:" + (heartbeat.Beats > 0 ? "running" : "not running"), "instance:" + _instance],
        });

    public Task<double> DivideAsync(double dividend, double divisor, CancellationToken ct) => _demo.DivideAsync(dividend, divisor, ct);

    public IAsyncEnumerable<int> CountAsync(int to, CancellationToken ct) => _demo.CountAsync(to, ct);

    public Task<string> SleepAsync(int milliseconds, CancellationToken ct) => _demo.SleepAsync(milliseconds, ct);

    public Task<byte[]> BlobAsync(int size, CancellationToken ct) => _demo.BlobAsync(size, ct);

    public void Log(string message) => _demo.Log(message);

    public Task ExitAsync(int code) => _demo.ExitAsync(code);

    public Task<int> WorkAsync(int steps, CancellationToken ct) => _demo.WorkAsync(steps, ct);

    public Task<long> SumAsync(IAsyncEnumerable<int> values, CancellationToken ct) => _demo.SumAsync(values, ct);

    public IAsyncEnumerable<string> ChatAsync(string prefix, IAsyncEnumerable<string> lines, CancellationToken ct) => _demo.ChatAsync(prefix, lines, ct);

    public Task<double> AreaAsync(Shape shape, CancellationToken ct) => _demo.AreaAsync(shape, ct);

    public Task<int> StepsAsync(int steps, IProgress<int> progress, CancellationToken ct) => _demo.StepsAsync(steps, progress, ct);

    public Task<string> UploadAsync(Stream data, CancellationToken ct) => _demo.UploadAsync(data, ct);

    public Task<Stream> DownloadAsync(long size, CancellationToken ct) => _demo.DownloadAsync(size, ct);

    public Task<Sample> SampleAsync(Sample sample, CancellationToken ct) => _demo.SampleAsync(sample, ct);

    public void Dispose() => logger.LogDebug("DemoService {Instance} disposed.", _instance);
}
