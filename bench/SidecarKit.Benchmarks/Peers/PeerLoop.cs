using System.Diagnostics;
using SidecarKit.Processes;
using SidecarKit.Samples.Demo;

namespace SidecarKit.Benchmarks.Peers;

/// <summary>
/// <c>--peers [calls]</c>: ours and the peers in interleaved rounds, without BenchmarkDotNet. All nine children run at
/// once and every operation takes its turn in each of 10 short rounds, so a change of load on a shared machine slows
/// ours and the peers alike; the ratio of each pair is taken per round and reported as min / median / max over the
/// rounds, with p99 and bytes per call (which BenchmarkDotNet's per-iteration statistics do not give per call).
/// </summary>
internal static class PeerLoop
{
    private const int Rounds = 10;
    private const int WarmupCalls = 5_000;

    public static async Task RunAsync(int calls)
    {
        // Our demo sidecar on each carrier, then the peers; each checked once before it is timed.
        await using SidecarProcess jsonLines = await DemoSidecarStarter.StartAsync();
        await using SidecarProcess msgpackStdio = await DemoSidecarStarter.StartMessagePackAsync(SidecarCarrier.Stdio);
        await using SidecarProcess msgpackUnix = await DemoSidecarStarter.StartMessagePackAsync(SidecarCarrier.UnixSocket);
        await using SidecarProcess grpc = await DemoSidecarStarter.StartGrpcAsync();
        await using StreamJsonRpcPeer sjrJsonStdio = StreamJsonRpcPeer.StartStdio(PeerFormat.Json);
        await using StreamJsonRpcPeer sjrMsgpackStdio = StreamJsonRpcPeer.StartStdio(PeerFormat.MessagePack);
        await using StreamJsonRpcPeer sjrJsonUnix = await StreamJsonRpcPeer.StartUnixAsync(PeerFormat.Json);
        await using StreamJsonRpcPeer sjrMsgpackUnix = await StreamJsonRpcPeer.StartUnixAsync(PeerFormat.MessagePack);
        await using GrpcDotnetPeer grpcDotnet = await GrpcDotnetPeer.StartAsync();

        var children = new List<Process>();
        var operations = new Dictionary<string, TimedOperation>();
        void Add(string one, string many, int processId, Func<Task> call, Func<Task[], Task> burst)
        {
            Process child = Process.GetProcessById(processId);
            children.Add(child);
            var tasks = new Task[StdioBenchmarks.Outstanding];
            operations[one] = new TimedOperation(one, 1, child, call);
            operations[many] = new TimedOperation(many, StdioBenchmarks.Outstanding, child, () => burst(tasks));
        }
        void AddOurs(string one, string many, SidecarProcess sidecar)
        {
            IDemo demo = Workloads.Checked(sidecar);
            Add(one, many, sidecar.ProcessId, async () => await demo.AddAsync(1, 2).ConfigureAwait(false), tasks => Workloads.AddConcurrentlyAsync(demo, tasks));
        }
        void AddStreamJsonRpc(string one, string many, StreamJsonRpcPeer peer)
        {
            IPeerDemo demo = Workloads.Checked(peer);
            Add(one, many, peer.ProcessId, async () => await demo.AddAsync(1, 2).ConfigureAwait(false), tasks => Workloads.AddConcurrentlyAsync(demo, tasks));
        }

        AddOurs(nameof(StdioBenchmarks.TypedAdd_1), nameof(StdioBenchmarks.TypedAdd_64), jsonLines);
        AddStreamJsonRpc(nameof(StdioBenchmarks.SjrJsonStdioAdd_1), nameof(StdioBenchmarks.SjrJsonStdioAdd_64), sjrJsonStdio);
        AddOurs(nameof(StdioBenchmarks.MsgpackStdioAdd_1), nameof(StdioBenchmarks.MsgpackStdioAdd_64), msgpackStdio);
        AddStreamJsonRpc(nameof(StdioBenchmarks.SjrMsgpackStdioAdd_1), nameof(StdioBenchmarks.SjrMsgpackStdioAdd_64), sjrMsgpackStdio);
        AddOurs(nameof(UnixSocketBenchmarks.MsgpackUnixAdd_1), nameof(UnixSocketBenchmarks.MsgpackUnixAdd_64), msgpackUnix);
        AddStreamJsonRpc(nameof(UnixSocketBenchmarks.SjrMsgpackUnixAdd_1), nameof(UnixSocketBenchmarks.SjrMsgpackUnixAdd_64), sjrMsgpackUnix);
        AddStreamJsonRpc(nameof(UnixSocketBenchmarks.SjrJsonUnixAdd_1), nameof(UnixSocketBenchmarks.SjrJsonUnixAdd_64), sjrJsonUnix);
        AddOurs(nameof(GrpcBenchmarks.GrpcAdd_1), nameof(GrpcBenchmarks.GrpcAdd_64), grpc);
        var plain = Workloads.Checked(grpcDotnet);
        Add(nameof(GrpcBenchmarks.GrpcDotnetAdd_1), nameof(GrpcBenchmarks.GrpcDotnetAdd_64), grpcDotnet.ProcessId,
            async () => await plain.AddAsync(new Plain.AddRequest { A = 1, B = 2 }).ResponseAsync.ConfigureAwait(false),
            tasks => Workloads.AddConcurrentlyAsync(plain, tasks));

        try
        {
            foreach (TimedOperation op in operations.Values) // warm up (tiered JIT) in this process and in every child
                for (int i = 0; i < WarmupCalls / op.PerInvoke + 1; i++) await op.Invoke().ConfigureAwait(false);

            int callsPerRound = Math.Max(1, calls / Rounds);
            var latencyRatios = PeerPairs.All.ToDictionary(p => p, _ => new List<double>());
            var throughputRatios = PeerPairs.All.ToDictionary(p => p, _ => new List<double>());
            for (int round = 0; round < Rounds; round++)
            {
                foreach (TimedOperation op in operations.Values)
                    await op.MeasureAsync(Math.Max(1, callsPerRound / op.PerInvoke)).ConfigureAwait(false);
                foreach (PeerPair pair in PeerPairs.All)
                {
                    latencyRatios[pair].Add(operations[pair.Ours1].LastRoundMedian / operations[pair.Peer1].LastRoundMedian);
                    throughputRatios[pair].Add(operations[pair.Peer64].LastRoundMedian / operations[pair.Ours64].LastRoundMedian);
                }
            }

            Console.WriteLine($"{Rounds} interleaved rounds, {callsPerRound} calls per operation per round:");
            Console.WriteLine(TimedOperation.Header);
            foreach (TimedOperation op in operations.Values) Console.WriteLine(op.Summary());
            Console.WriteLine();
            Console.WriteLine("Ours vs the peer, ratio per round (min / median / max); latency below 1 and throughput above 1 favour ours:");
            Console.WriteLine($"  {"carrier",-6} {"ours",-16} {"peer",-26} {"latency ours/peer (1)",-24} {"throughput ours/peer (64)",-26} {"p99 ours/peer (1)",-18} B/call ours vs peer (1 | 64)");
            foreach (PeerPair pair in PeerPairs.All)
            {
                TimedOperation o1 = operations[pair.Ours1], p1 = operations[pair.Peer1], o64 = operations[pair.Ours64], p64 = operations[pair.Peer64];
                Console.WriteLine($"  {pair.Carrier,-6} {pair.Ours,-16} {pair.Peer,-26} {Range(latencyRatios[pair]),-24} {Range(throughputRatios[pair]),-26} " +
                    $"{o1.Percentile(0.99) / p1.Percentile(0.99),-18:0.00} {o1.BytesPerCall:0} vs {p1.BytesPerCall:0} | {o64.BytesPerCall:0} vs {p64.BytesPerCall:0}");
            }
        }
        finally
        {
            foreach (Process child in children) child.Dispose();
        }
    }

    private static string Range(List<double> ratios)
    {
        double[] sorted = [.. ratios.Order()];
        return $"{sorted[0]:0.00} / {sorted[sorted.Length / 2]:0.00} / {sorted[^1]:0.00}";
    }
}
