using SidecarKit.Benchmarks.Peers;
using SidecarKit.Benchmarks.Peers.Plain;
using SidecarKit.Processes;
using SidecarKit.Samples.Demo;
using PlainDemo = SidecarKit.Benchmarks.Peers.Plain.Demo;

namespace SidecarKit.Benchmarks;

/// <summary>
/// The operations every benchmark class times, written once: raw echo rounds, typed demo.add rounds, and the same
/// rounds through the peers' clients (StreamJsonRpc's proxy, grpc-dotnet's generated client).
/// </summary>
internal static class Workloads
{
    // 15 bytes + '\n' = the 16-byte message of the measured floors in DESIGN.md.
    public static readonly byte[] Line = "0123456789abcde\n"u8.ToArray();
    public static readonly byte[] Lines = Enumerable.Repeat(Line, StdioBenchmarks.Outstanding).SelectMany(l => l).ToArray();

    /// <summary>Proves the echo works before it is timed.</summary>
    public static RawEchoClient Checked(RawEchoClient raw)
    {
        raw.WriteAsync(Line).AsTask().GetAwaiter().GetResult();
        int bytes = raw.ReadLinesAsync(1).AsTask().GetAwaiter().GetResult();
        return bytes == Line.Length ? raw : throw new InvalidOperationException($"EchoChild echoed {bytes} bytes, expected {Line.Length}.");
    }

    /// <summary>Proves the sidecar answers before it is timed, and returns its client.</summary>
    public static IDemo Checked(SidecarProcess sidecar)
    {
        IDemo demo = sidecar.GetClient<IDemo>();
        int sum = demo.AddAsync(1, 2).GetAwaiter().GetResult();
        return sum == 3 ? demo : throw new InvalidOperationException($"demo.add(1, 2) returned {sum}.");
    }

    /// <summary><see cref="StdioBenchmarks.Sequential"/> echoes of one line, one outstanding at a time.</summary>
    public static async Task<int> EchoOneByOneAsync(RawEchoClient raw)
    {
        int bytes = 0;
        for (int i = 0; i < StdioBenchmarks.Sequential; i++)
        {
            await raw.WriteAsync(Line).ConfigureAwait(false);
            bytes += await raw.ReadLinesAsync(1).ConfigureAwait(false);
        }
        return bytes;
    }

    /// <summary>64 lines in one write, then 64 read back.</summary>
    public static async Task<int> EchoBurstAsync(RawEchoClient raw)
    {
        await raw.WriteAsync(Lines).ConfigureAwait(false);
        return await raw.ReadLinesAsync(StdioBenchmarks.Outstanding).ConfigureAwait(false);
    }

    /// <summary><see cref="StdioBenchmarks.Sequential"/> calls of <c>demo.add</c>, one outstanding at a time.</summary>
    public static async Task<int> AddOneByOneAsync(IDemo demo)
    {
        int sum = 0;
        for (int i = 0; i < StdioBenchmarks.Sequential; i++)
            sum += await demo.AddAsync(1, 2).ConfigureAwait(false);
        return sum;
    }

    /// <summary>64 concurrent calls of <c>demo.add</c>, awaited together.</summary>
    public static Task AddConcurrentlyAsync(IDemo demo, Task[] calls)
    {
        for (int i = 0; i < calls.Length; i++)
            calls[i] = demo.AddAsync(i, 1);
        return Task.WhenAll(calls);
    }

    /// <summary>Proves the StreamJsonRpc peer answers before it is timed, and returns its proxy.</summary>
    public static IPeerDemo Checked(StreamJsonRpcPeer peer)
    {
        int sum = peer.Demo.AddAsync(1, 2).GetAwaiter().GetResult();
        return sum == 3 ? peer.Demo : throw new InvalidOperationException($"StreamJsonRpc demo.add(1, 2) returned {sum}.");
    }

    /// <summary>Proves the grpc-dotnet peer answers before it is timed, and returns its client.</summary>
    public static PlainDemo.DemoClient Checked(GrpcDotnetPeer peer)
    {
        int sum = peer.Client.AddAsync(new AddRequest { A = 1, B = 2 }).ResponseAsync.GetAwaiter().GetResult().Result;
        return sum == 3 ? peer.Client : throw new InvalidOperationException($"grpc-dotnet Add(1, 2) returned {sum}.");
    }

    /// <summary><see cref="StdioBenchmarks.Sequential"/> calls through StreamJsonRpc's proxy, one outstanding at a time.</summary>
    public static async Task<int> AddOneByOneAsync(IPeerDemo demo)
    {
        int sum = 0;
        for (int i = 0; i < StdioBenchmarks.Sequential; i++)
            sum += await demo.AddAsync(1, 2).ConfigureAwait(false);
        return sum;
    }

    /// <summary>64 concurrent calls through StreamJsonRpc's proxy, awaited together.</summary>
    public static Task AddConcurrentlyAsync(IPeerDemo demo, Task[] calls)
    {
        for (int i = 0; i < calls.Length; i++)
            calls[i] = demo.AddAsync(i, 1);
        return Task.WhenAll(calls);
    }

    /// <summary><see cref="StdioBenchmarks.Sequential"/> unary calls through grpc-dotnet's generated client, one at a time.</summary>
    public static async Task<int> AddOneByOneAsync(PlainDemo.DemoClient client)
    {
        int sum = 0;
        for (int i = 0; i < StdioBenchmarks.Sequential; i++)
            sum += (await client.AddAsync(new AddRequest { A = 1, B = 2 }).ResponseAsync.ConfigureAwait(false)).Result;
        return sum;
    }

    /// <summary>64 concurrent unary calls through grpc-dotnet's generated client on its one channel, awaited together.</summary>
    public static Task AddConcurrentlyAsync(PlainDemo.DemoClient client, Task[] calls)
    {
        for (int i = 0; i < calls.Length; i++)
            calls[i] = client.AddAsync(new AddRequest { A = i, B = 1 }).ResponseAsync;
        return Task.WhenAll(calls);
    }
}
