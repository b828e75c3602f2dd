using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace SidecarKit.Samples.Demo.Sidecar;

/// <summary>The demo contract, exactly as CONFORMANCE.md describes it.</summary>
public sealed class DemoService(IDemoEvents parent, ILogger logger, bool hashUploads = true) : IDemo
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

    public Task<int> StepsAsync(int steps, IProgress<int> progress, CancellationToken ct)
    {
        for (int i = 1; i <= steps; i++)
        {
            ct.ThrowIfCancellationRequested();
            progress.Report(i);
        }
        return Task.FromResult(steps);
    }

    public async Task<string> UploadAsync(Stream data, CancellationToken ct)
    {
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        byte[] buffer = new byte[64 * 1024];
        long length = 0;
        int n;
        while ((n = await data.ReadAsync(buffer, ct)) > 0)
        {
            if (hashUploads) sha.AppendData(buffer, 0, n);
            length += n;
        }
        return length + ":" + (hashUploads ? Convert.ToHexStringLower(sha.GetHashAndReset()) : "unhashed");
    }

    public Task<Stream> DownloadAsync(long size, CancellationToken ct)
        => size < 0 ? throw new SidecarRemoteException(Rpc.RpcErrorCodes.InvalidParams, "size must not be negative") : Task.FromResult<Stream>(new DemoBytes(size));

    /// <summary><c>size</c> bytes, byte i = i % 256, made as they are read: a download of any size holds nothing.</summary>
    private sealed class DemoBytes(long size) : Stream
    {
        private long _position;

        // 0, 1, …, 255 twice: any 256 consecutive bytes of the pattern are a slice of it, copied rather than computed.
        private static readonly byte[] s_pattern = [.. Enumerable.Range(0, 512).Select(i => (byte)i)];

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        // Made in memory: a read never waits, so it completes at once. (Stream's own ReadAsync would run each read on
        // the thread pool, a hand-off per 64 KiB chunk.)
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            => cancellationToken.IsCancellationRequested ? ValueTask.FromCanceled<int>(cancellationToken) : new(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(Span<byte> buffer)
        {
            int n = (int)Math.Min(buffer.Length, size - _position);
            Span<byte> rest = buffer[..n];
            while (!rest.IsEmpty)
            {
                int chunk = Math.Min(rest.Length, 256);
                s_pattern.AsSpan((int)(_position % 256), chunk).CopyTo(rest);
                _position += chunk;
                rest = rest[chunk..];
            }
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => size;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    public Task<Sample> SampleAsync(Sample sample, CancellationToken ct) => Task.FromResult(sample);

    public Task<double> AreaAsync(Shape shape, CancellationToken ct) => Task.FromResult(shape switch
    {
        Circle c => Math.PI * c.Radius * c.Radius,
        Rectangle r => r.Width * r.Height,
        _ => throw new SidecarRemoteException(Rpc.RpcErrorCodes.InvalidParams, $"unknown shape {shape.GetType().Name}"),
    });
}
