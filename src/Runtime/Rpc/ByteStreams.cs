using System.Buffers;
using System.Runtime.CompilerServices;

namespace SidecarKit.Rpc;

/// <summary>
/// A <see cref="Stream"/> parameter or result as it crosses: a stream of byte chunks (<see cref="ChunkSize"/> bytes each,
/// the last one shorter), sent with the flow control of streamed parameters and results, so that a payload of any size
/// crosses without being held whole on either side and without meeting the message size limit. The generated proxies
/// and dispatchers call these; an application does not need to.
/// </summary>
public static class ByteStreams
{
    /// <summary>The size of each chunk but the last: 64 KiB (below the large object heap: chunks are short-lived).</summary>
    public const int ChunkSize = 64 * 1024;

    /// <summary>
    /// Reads <paramref name="stream"/> to its end as chunks (the caller's <see cref="Stream"/> argument; not disposed: the
    /// caller owns it). Every full chunk is the same array, refilled: a chunk is valid until the next one is asked for.
    /// Every transport encodes an item before it asks for the next, so a transfer of any size allocates one chunk instead
    /// of one per 64 KiB; a caller of its own that keeps chunks must copy them.
    /// </summary>
    public static async IAsyncEnumerable<byte[]> ReadChunks(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        byte[] chunk = GC.AllocateUninitializedArray<byte>(ChunkSize); // filled by each read; only what it read is sent
        while (true)
        {
            int read = await stream.ReadAtLeastAsync(chunk, ChunkSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (read == 0) yield break;
            yield return read == ChunkSize ? chunk : chunk.AsSpan(0, read).ToArray();
            if (read < ChunkSize) yield break; // ReadAtLeastAsync returns less only at the end
        }
    }

    // The chunk-sized arrays NewBytes lent from the shared pool and no one has given back: only these go back to it
    // (weakly held: one never given back, a byte[] argument of that size, is simply collected).
    private static readonly ConditionalWeakTable<byte[], object> s_lent = new();
    private static readonly object s_mark = new();

    /// <summary>
    /// An array for a received <c>bytes</c> value of <paramref name="length"/> bytes, not cleared (a codec copies every
    /// byte over at once). One of a stream chunk's size is lent from the shared pool, and a received stream
    /// (<see cref="ToStream"/>, <see cref="OpenAsync"/>) gives each chunk back once it is read: a transfer of any size
    /// reuses a few arrays instead of allocating one per 64 KiB. Codecs call this; an application does not need to.
    /// </summary>
    public static byte[] NewBytes(int length)
    {
        if (length != ChunkSize) return GC.AllocateUninitializedArray<byte>(length);
        byte[] lent = ArrayPool<byte>.Shared.Rent(ChunkSize);
        if (lent.Length != ChunkSize) return GC.AllocateUninitializedArray<byte>(length);   // not the pool's exact size: keep the length exact
        s_lent.AddOrUpdate(lent, s_mark);
        return lent;
    }

    /// <summary>
    /// Gives <paramref name="bytes"/> back to the pool if <see cref="NewBytes"/> lent it and it was not given back yet
    /// (nothing else may hold it then); anything else is left alone.
    /// </summary>
    internal static void Recycle(byte[]? bytes)
    {
        if (bytes is { Length: ChunkSize } && s_lent.Remove(bytes)) ArrayPool<byte>.Shared.Return(bytes);
    }

    /// <summary>Whether <paramref name="bytes"/> is lent by <see cref="NewBytes"/> and not given back (for tests).</summary>
    internal static bool IsLent(byte[] bytes) => s_lent.TryGetValue(bytes, out _);

    /// <summary>
    /// Reads the implementation's result stream to its end as chunks, then disposes it (the result is the sidecar's to
    /// close). As with <see cref="ReadChunks(Stream, CancellationToken)"/>, a chunk is valid until the next is asked for.
    /// </summary>
    public static async IAsyncEnumerable<byte[]> ReadChunks(Task<Stream> stream, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Stream opened = await stream.ConfigureAwait(false);
        await using (opened.ConfigureAwait(false))
        {
            await foreach (byte[] chunk in ReadChunks(opened, cancellationToken).ConfigureAwait(false))
                yield return chunk;
        }
    }

    /// <inheritdoc cref="ReadChunks(Task{Stream}, CancellationToken)"/>
    public static IAsyncEnumerable<byte[]> ReadChunks(ValueTask<Stream> stream, CancellationToken cancellationToken = default)
        => ReadChunks(stream.AsTask(), cancellationToken);

    /// <summary>
    /// The received chunks as a read-only stream (the implementation's <see cref="Stream"/> argument): each read takes
    /// the next chunk when the one before is used up, so only one chunk is held here, and the sender's credit flows
    /// back as the stream is read.
    /// </summary>
    public static Stream ToStream(IAsyncEnumerable<byte[]> chunks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        return new ChunkStream(chunks.GetAsyncEnumerator(cancellationToken));
    }

    /// <summary>
    /// The proxy's <c>Task&lt;Stream&gt;</c> result: starts the call and waits for its first chunk (or its end), so that a
    /// call that fails at once fails here; the stream then reads the rest as it is asked for. Disposing the stream before
    /// its end cancels the call.
    /// </summary>
    public static async Task<Stream> OpenAsync(IAsyncEnumerable<byte[]> chunks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        IAsyncEnumerator<byte[]> enumerator = chunks.GetAsyncEnumerator(cancellationToken);
        try
        {
            bool any = await enumerator.MoveNextAsync().ConfigureAwait(false);
            return new ChunkStream(enumerator, any ? enumerator.Current : null, ended: !any);
        }
        catch
        {
            await enumerator.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A read-only, forward-only stream over chunks.</summary>
    private sealed class ChunkStream(IAsyncEnumerator<byte[]> chunks, byte[]? first = null, bool ended = false) : Stream
    {
        private byte[]? _chunk = first;
        private int _offset;
        private bool _ended = ended;
        private bool _disposed;

        public override bool CanRead => !_disposed;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException("The stream arrives in chunks: its length is not known until its end.");
        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (buffer.IsEmpty) return 0;
            while (_chunk is null || _offset == _chunk.Length)
            {
                if (_ended) return 0;
                // The enumerator has its own token (the call's); a read's token cannot be passed on, so it is checked here.
                cancellationToken.ThrowIfCancellationRequested();
                Recycle();
                if (!await chunks.MoveNextAsync().ConfigureAwait(false))
                {
                    _ended = true;
                    return 0;
                }
                _chunk = chunks.Current;
                _offset = 0;
            }
            int n = Math.Min(buffer.Length, _chunk.Length - _offset);
            _chunk.AsMemory(_offset, n).CopyTo(buffer);
            _offset += n;
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        // Synchronous reads wait for the next chunk: prefer the asynchronous ones.
        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override int Read(Span<byte> buffer)
        {
            byte[] rented = System.Buffers.ArrayPool<byte>.Shared.Rent(buffer.Length);
            try
            {
                int n = Read(rented, 0, buffer.Length);
                rented.AsSpan(0, n).CopyTo(buffer);
                return n;
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
            }
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        // A chunk read to its end goes back to the pool if it came from there (NewBytes): the stream was its only holder.
        private void Recycle()
        {
            ByteStreams.Recycle(_chunk);
            _chunk = null;
        }

        public override async ValueTask DisposeAsync()
        {
            if (_disposed) return;
            _disposed = true;
            Recycle();
            await chunks.DisposeAsync().ConfigureAwait(false); // before its end: the call is cancelled
            await base.DisposeAsync().ConfigureAwait(false);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && !_disposed)
            {
                _disposed = true;
                Recycle();
                chunks.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            base.Dispose(disposing);
        }
    }
}
