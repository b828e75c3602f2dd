using System.Runtime.CompilerServices;
using Grpc.Core;
using SidecarKit.Transports.Grpc.Marshalling;
using SidecarKit.Transports.Grpc.Protobuf;
using SidecarKit.Wire;

namespace SidecarKit.Transports.Grpc.Server;

/// <summary>
/// The request stream of a method that takes a stream, as its implementation sees it: the parameters from the first
/// message, and the items of every message that carries one, read as the implementation asks for them (so HTTP/2 flow
/// control holds a fast caller back, with nothing buffered here).
/// </summary>
internal static class GrpcInputReader
{
    /// <summary>Reads the first message (an empty stream: parameters from an empty message) and returns the parameters and the items.</summary>
    public static async Task<(TArgs Args, IAsyncEnumerable<TItem> Items)> OpenAsync<TArgs, TItem>(
        IAsyncStreamReader<GrpcInputMessage<TArgs, TItem>> requests, string method, CancellationToken cancellationToken)
        where TArgs : struct, IWireArgs<TArgs>
    {
        if (!await NextAsync(requests, cancellationToken).ConfigureAwait(false))
            return (ReadArgs<TArgs>(() => ProtobufReader.ReadArgs<TArgs>([]), method), new Once<TItem>(Items(null, requests, cancellationToken), method));
        GrpcInputMessage<TArgs, TItem> first = requests.Current;
        return (ReadArgs(first.ReadArgs, method), new Once<TItem>(Items(first, requests, cancellationToken), method));
    }

    // The request stream can be read once: a second enumeration would read it concurrently with the first.
    private sealed class Once<TItem>(IAsyncEnumerable<TItem> items, string method) : IAsyncEnumerable<TItem>
    {
        private int _started;

        public IAsyncEnumerator<TItem> GetAsyncEnumerator(CancellationToken cancellationToken = default)
            => Interlocked.Exchange(ref _started, 1) == 0
                ? items.GetAsyncEnumerator(cancellationToken)
                : throw new InvalidOperationException($"The input stream of '{method}' can be enumerated once.");
    }

    private static TArgs ReadArgs<TArgs>(Func<TArgs> read, string method)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is WireFormatException or FormatException or OverflowException or InvalidOperationException)
        {
            throw GrpcErrors.InvalidParams(method, e);
        }
    }

    private static async IAsyncEnumerable<TItem> Items<TArgs, TItem>(GrpcInputMessage<TArgs, TItem>? first,
        IAsyncStreamReader<GrpcInputMessage<TArgs, TItem>> requests, [EnumeratorCancellation] CancellationToken cancellationToken)
        where TArgs : struct, IWireArgs<TArgs>
    {
        if (first is null) yield break;
        if (first.HasItem) yield return first.Item;
        while (await NextAsync(requests, cancellationToken).ConfigureAwait(false))
        {
            if (requests.Current.HasItem) yield return requests.Current.Item;
        }
    }

    // A request stream the caller reset (it cancelled, or went away) is the call's cancellation, as the implementation
    // sees it on every transport: Kestrel may report the reset as an IOException before the call's token fires.
    private static async Task<bool> NextAsync<T>(IAsyncStreamReader<T> requests, CancellationToken cancellationToken)
    {
        try
        {
            return await requests.MoveNext(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new OperationCanceledException("The caller reset the request stream: the call is cancelled.", e, cancellationToken);
        }
    }
}
