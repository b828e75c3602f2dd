using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using SidecarKit;

namespace SidecarKit.Tests.Support;

/// <summary>Client and bidirectional streaming: every shape a streamed parameter takes, and the ways a stream ends.</summary>
[SidecarContract("streaming")]
public partial interface IStreaming
{
    /// <summary>Client streaming: the sum of the items.</summary>
    Task<long> SumAsync(IAsyncEnumerable<int> values, CancellationToken ct = default);

    /// <summary>Parameters before and after the streamed one: "label:count:bytes*scale".</summary>
    Task<string> MeasureAsync(string label, IAsyncEnumerable<byte[]> chunks, int scale = 1, CancellationToken ct = default);

    /// <summary>No result: the items are kept (<see cref="Streaming.Kept"/>).</summary>
    ValueTask KeepAsync(IAsyncEnumerable<string> lines, CancellationToken ct = default);

    /// <summary>Bidirectional: each line back with the prefix, as it arrives.</summary>
    IAsyncEnumerable<string> EchoAsync(string prefix, IAsyncEnumerable<string> lines, CancellationToken ct = default);

    /// <summary>Returns after reading <paramref name="count"/> items, leaving the rest unread.</summary>
    Task<int> TakeAsync(int count, IAsyncEnumerable<int> values, CancellationToken ct = default);

    /// <summary>Throws after reading <paramref name="count"/> items.</summary>
    Task<int> FailAfterAsync(int count, IAsyncEnumerable<int> values, CancellationToken ct = default);

    /// <summary>Reads one item every <paramref name="delayMilliseconds"/>: a slow consumer.</summary>
    Task<int> SlowCountAsync(int delayMilliseconds, IAsyncEnumerable<int> values, CancellationToken ct = default);

    /// <summary>Reads one chunk every <paramref name="delayMilliseconds"/>: a slow consumer of large items; the bytes read.</summary>
    Task<long> SlowBytesAsync(int delayMilliseconds, IAsyncEnumerable<byte[]> chunks, CancellationToken ct = default);

    /// <summary>A Stream parameter: its length and SHA-256, "length:hex".</summary>
    Task<string> HashAsync(string label, Stream data, CancellationToken ct = default);

    /// <summary>A Stream result: <paramref name="size"/> bytes, byte i = i % 251.</summary>
    Task<Stream> DownloadAsync(long size, CancellationToken ct = default);

    /// <summary>Both: the bytes of <paramref name="data"/>, each inverted, streamed back as they are read.</summary>
    ValueTask<Stream> InvertAsync(Stream data, CancellationToken ct = default);

    /// <summary>Reads items until the call is cancelled, then reports it (<see cref="Streaming.Cancelled"/>).</summary>
    Task<int> WaitForeverAsync(IAsyncEnumerable<int> values, CancellationToken ct = default);

    /// <summary>Reads its input without a token of its own (what many implementations do), reporting how the read ended.</summary>
    Task<int> ReadPlainlyAsync(IAsyncEnumerable<int> values, CancellationToken ct = default);

    /// <summary>Reads every item, reporting how its input ended (<see cref="Streaming.InputErrors"/>).</summary>
    Task<int> ObserveAsync(IAsyncEnumerable<int> values, CancellationToken ct = default);
}

public sealed class Streaming : IStreaming
{
    public readonly ConcurrentQueue<string> Kept = new();
    public readonly ConcurrentQueue<Exception> InputErrors = new();
    public readonly TaskCompletionSource Cancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public int Consumed;

    public async Task<long> SumAsync(IAsyncEnumerable<int> values, CancellationToken ct)
    {
        long sum = 0;
        await foreach (int v in values.WithCancellation(ct)) sum += v;
        return sum;
    }

    public async Task<string> MeasureAsync(string label, IAsyncEnumerable<byte[]> chunks, int scale, CancellationToken ct)
    {
        int count = 0;
        long bytes = 0;
        await foreach (byte[] chunk in chunks.WithCancellation(ct))
        {
            count++;
            bytes += chunk.Length;
        }
        return $"{label}:{count}:{bytes * scale}";
    }

    public async ValueTask KeepAsync(IAsyncEnumerable<string> lines, CancellationToken ct)
    {
        await foreach (string line in lines.WithCancellation(ct)) Kept.Enqueue(line);
    }

    public async IAsyncEnumerable<string> EchoAsync(string prefix, IAsyncEnumerable<string> lines, [EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (string line in lines.WithCancellation(ct)) yield return prefix + line;
    }

    public async Task<int> TakeAsync(int count, IAsyncEnumerable<int> values, CancellationToken ct)
    {
        int taken = 0;
        if (count == 0) return 0;
        await foreach (int _ in values.WithCancellation(ct))
            if (++taken == count) break;
        return taken;
    }

    public async Task<int> FailAfterAsync(int count, IAsyncEnumerable<int> values, CancellationToken ct)
    {
        int read = 0;
        await foreach (int _ in values.WithCancellation(ct))
            if (++read == count) throw new InvalidOperationException($"failed after {count} items");
        return read;
    }

    public async Task<int> SlowCountAsync(int delayMilliseconds, IAsyncEnumerable<int> values, CancellationToken ct)
    {
        int read = 0;
        await foreach (int _ in values.WithCancellation(ct))
        {
            await Task.Delay(delayMilliseconds, ct);
            read++;
            Interlocked.Increment(ref Consumed);
        }
        return read;
    }

    public async Task<long> SlowBytesAsync(int delayMilliseconds, IAsyncEnumerable<byte[]> chunks, CancellationToken ct)
    {
        long bytes = 0;
        await foreach (byte[] chunk in chunks.WithCancellation(ct))
        {
            await Task.Delay(delayMilliseconds, ct);
            bytes += chunk.Length;
            Interlocked.Increment(ref Consumed);
        }
        return bytes;
    }

    public async Task<string> HashAsync(string label, Stream data, CancellationToken ct)
    {
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        byte[] buffer = new byte[10_000]; // not the chunk size: reads straddle chunks
        long length = 0;
        int n;
        while ((n = await data.ReadAsync(buffer, ct)) > 0)
        {
            sha.AppendData(buffer, 0, n);
            length += n;
        }
        return label + ":" + length + ":" + Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    public Task<Stream> DownloadAsync(long size, CancellationToken ct) => Task.FromResult<Stream>(new PatternStream(size));

    public ValueTask<Stream> InvertAsync(Stream data, CancellationToken ct) => new(new InvertingStream(data));

    public async Task<int> WaitForeverAsync(IAsyncEnumerable<int> values, CancellationToken ct)
    {
        try
        {
            await foreach (int _ in values.WithCancellation(ct)) Interlocked.Increment(ref Consumed);
            await Task.Delay(Timeout.Infinite, ct);
            return -1;
        }
        catch (OperationCanceledException)
        {
            Cancelled.TrySetResult();
            throw;
        }
    }

    public readonly TaskCompletionSource<Exception?> PlainReadEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task<int> ReadPlainlyAsync(IAsyncEnumerable<int> values, CancellationToken ct)
    {
        int read = 0;
        try
        {
            await foreach (int _ in values)
            {
                read++;
                Interlocked.Increment(ref Consumed);
            }
            PlainReadEnded.TrySetResult(null);
            return read;
        }
        catch (Exception e)
        {
            PlainReadEnded.TrySetResult(e);
            throw;
        }
    }

    public async Task<int> ObserveAsync(IAsyncEnumerable<int> values, CancellationToken ct)
    {
        int read = 0;
        try
        {
            await foreach (int _ in values.WithCancellation(ct))
            {
                read++;
                Interlocked.Increment(ref Consumed);
            }
        }
        catch (Exception e)
        {
            InputErrors.Enqueue(e);
            throw;
        }
        return read;
    }
}

/// <summary>A caller's stream: items produced on demand, counted, and able to fail or to wait.</summary>
public sealed class ProducedItems
{
    public int Produced;
    public readonly TaskCompletionSource Ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async IAsyncEnumerable<int> Range(int count, int failAt = -1, [EnumeratorCancellation] CancellationToken ct = default)
    {
        try
        {
            for (int i = 1; i <= count; i++)
            {
                if (i == failAt) throw new FormatException($"the caller's stream broke at {i}");
                await Task.Yield();
                Interlocked.Increment(ref Produced);
                yield return i;
            }
        }
        finally
        {
            Ended.TrySetResult();
        }
    }

    /// <summary><paramref name="count"/> chunks of <paramref name="size"/> bytes, made as they are asked for.</summary>
    public async IAsyncEnumerable<byte[]> Chunks(int count, int size, [EnumeratorCancellation] CancellationToken ct = default)
    {
        try
        {
            for (int i = 0; i < count; i++)
            {
                await Task.Yield();
                Interlocked.Increment(ref Produced);
                yield return new byte[size];
            }
        }
        finally
        {
            Ended.TrySetResult();
        }
    }

    /// <summary>Items without end, until the enumeration stops.</summary>
    public async IAsyncEnumerable<int> Endless([EnumeratorCancellation] CancellationToken ct = default)
    {
        try
        {
            for (int i = 1; ; i++)
            {
                await Task.Yield();
                Interlocked.Increment(ref Produced);
                yield return i;
            }
        }
        finally
        {
            Ended.TrySetResult();
        }
    }
}

/// <summary>A read-only, forward-only stream: the members a reader does not use, refused once here.</summary>
public abstract class ReadOnlyStream : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary><c>size</c> bytes, byte i = i % <c>modulus</c> (251 unless told), made as they are read (nothing held).</summary>
public sealed class PatternStream(long size, int modulus = 251) : ReadOnlyStream
{
    private long _position;

    public static byte At(long i, int modulus = 251) => (byte)(i % modulus);

    public override int Read(byte[] buffer, int offset, int count)
    {
        int n = (int)Math.Min(count, size - _position);
        for (int i = 0; i < n; i++) buffer[offset + i] = (byte)((_position + i) % modulus);
        _position += n;
        return n;
    }
}

/// <summary>Reads another stream and inverts each byte.</summary>
public sealed class InvertingStream(Stream inner) : ReadOnlyStream
{
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n = await inner.ReadAsync(buffer, cancellationToken);
        Span<byte> span = buffer.Span[..n];
        for (int i = 0; i < span.Length; i++) span[i] = (byte)~span[i];
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
}

public static class AsyncItems
{
    public static async IAsyncEnumerable<T> Of<T>(params T[] items)
    {
        foreach (T item in items)
        {
            await Task.Yield();
            yield return item;
        }
    }
}
