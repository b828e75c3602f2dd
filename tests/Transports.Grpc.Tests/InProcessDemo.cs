using SidecarKit.Samples.Demo;

namespace SidecarKit.Transports.Grpc.Tests;

/// <summary>
/// The demo contract served in the test process (no sidecar): what the in-process tests call (add, echo, divide,
/// count). The methods that need a real sidecar (sleep, blob, exit, the callbacks of work) are not served.
/// </summary>
internal sealed class InProcessDemo : IDemo
{
    public Task<int> AddAsync(int a, int b, CancellationToken ct) => Task.FromResult(checked(a + b));

    public Task<Person> EchoAsync(Person person, CancellationToken ct) => Task.FromResult(person);

    public Task<double> DivideAsync(double dividend, double divisor, CancellationToken ct)
        => divisor == 0 ? throw new SidecarRemoteException(DemoErrors.DivisionByZero, "division by zero") : Task.FromResult(dividend / divisor);

    public async IAsyncEnumerable<int> CountAsync(int to, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        for (int i = 1; i <= to; i++) { await Task.Yield(); yield return i; }
    }

    public Task<string> SleepAsync(int milliseconds, CancellationToken ct) => throw new NotSupportedException();

    public Task<byte[]> BlobAsync(int size, CancellationToken ct) => throw new NotSupportedException();

    public void Log(string message) { }

    public Task ExitAsync(int code) => throw new NotSupportedException();

    public Task<int> WorkAsync(int steps, CancellationToken ct) => throw new NotSupportedException();

    public async Task<long> SumAsync(IAsyncEnumerable<int> values, CancellationToken ct)
    {
        long sum = 0;
        await foreach (int v in values.WithCancellation(ct)) sum += v;
        return sum;
    }

    public async IAsyncEnumerable<string> ChatAsync(string prefix, IAsyncEnumerable<string> lines, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (string line in lines.WithCancellation(ct)) yield return prefix + line;
    }

    public Task<int> StepsAsync(int steps, IProgress<int> progress, CancellationToken ct) => Task.FromResult(steps);

    public Task<string> UploadAsync(Stream data, CancellationToken ct) => throw new NotSupportedException();

    public Task<Stream> DownloadAsync(long size, CancellationToken ct) => throw new NotSupportedException();

    public Task<Sample> SampleAsync(Sample sample, CancellationToken ct) => Task.FromResult(sample);

    public Task<double> AreaAsync(Shape shape, CancellationToken ct) => Task.FromResult(shape switch
    {
        Circle c => Math.PI * c.Radius * c.Radius,
        Rectangle r => r.Width * r.Height,
        _ => 0,
    });
}
