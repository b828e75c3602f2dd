using System.Diagnostics;
using System.Security.Cryptography;
using SidecarKit.Processes;
using SidecarKit.Samples.Demo;
using SidecarKit.Tests.Support;
using Xunit.Abstractions;

namespace SidecarKit.EndToEnd.Tests;

/// <summary>
/// Progress reports, and Stream parameters and results, against the real demo sidecar: payloads far over every message
/// size limit cross in chunks, and the sidecar's resident memory stays bounded while a gigabyte crosses each way, with a
/// slow reader on the other side.
/// </summary>
public class DemoBulkTests(ITestOutputHelper output)
{
    public static TheoryData<string> Transports => DemoSidecar.Transports;

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Steps_upload_and_download(string transport)
    {
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(DemoSidecar.Options(transport));
        IDemo demo = sidecar.GetClient<IDemo>();

        var reports = new Recorded<int>();
        if (transport.StartsWith("grpc", StringComparison.Ordinal))
        {
            var refused = await Assert.ThrowsAsync<NotSupportedException>(() => demo.StepsAsync(5, reports));
            Assert.Contains("gRPC cannot carry", refused.Message);
            Assert.Equal(5, await demo.StepsAsync(5, null!));
        }
        else
        {
            Assert.Equal(100, await demo.StepsAsync(100, reports));
            Assert.Equal(Enumerable.Range(1, 100), reports.Reports); // all, in order, before the answer
        }

        // 40 MiB + 1 byte each way: over every transport's message size limit.
        long size = 40L * 1024 * 1024 + 1;
        string expected = $"{size}:{Convert.ToHexStringLower(SHA256.HashData(new PatternStream(size, modulus: 256)))}";
        Assert.Equal(expected, await demo.UploadAsync(new PatternStream(size, modulus: 256)));
        Assert.Equal("0:" + Convert.ToHexStringLower(SHA256.HashData(Array.Empty<byte>())), await demo.UploadAsync(new MemoryStream()));
        await using (Stream download = await demo.DownloadAsync(size))
            Assert.Equal(expected, $"{size}:{Convert.ToHexStringLower(await SHA256.HashDataAsync(download))}");
        var error = await Assert.ThrowsAnyAsync<SidecarRemoteException>(() => demo.DownloadAsync(-1));
        Assert.Contains("size must not be negative", error.Message);
    }

    [Theory]
    [InlineData("msgpack-unix")]
    [InlineData("jsonl")]
    [InlineData("grpc")]
    public async Task A_gigabyte_crosses_each_way_with_the_sidecars_memory_bounded(string transport)
    {
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(DemoSidecar.Options(transport));
        IDemo demo = sidecar.GetClient<IDemo>();
        using var watch = new ResidentWatch(sidecar.ProcessId);
        long baseline = watch.Current;
        const long Gigabyte = 1L << 30;

        // Up: the sidecar reads as fast as it hashes; what it holds is a window of chunks, not the gigabyte.
        var clock = Stopwatch.StartNew();
        string up = await demo.UploadAsync(new PatternStream(Gigabyte, modulus: 256));
        Assert.StartsWith(Gigabyte + ":", up);
        output.WriteLine($"{transport}: 1 GiB up in {clock.Elapsed.TotalSeconds:F1} s, sidecar RSS {baseline >> 20} → max {watch.Max >> 20} MiB");

        // Down, read slowly for a while: the sidecar, the producer, is held back instead of buffering ahead.
        watch.Reset();
        clock.Restart();
        await using (Stream download = await demo.DownloadAsync(Gigabyte))
        {
            byte[] buffer = new byte[1 << 20];
            long read = 0;
            for (int i = 0; i < 20; i++)
            {
                read += await download.ReadAsync(buffer.AsMemory(0, 4096));
                await Task.Delay(50);
            }
            long slowMax = watch.Max;
            int n;
            while ((n = await download.ReadAsync(buffer)) > 0) read += n;
            Assert.Equal(Gigabyte, read);
            output.WriteLine($"{transport}: 1 GiB down in {clock.Elapsed.TotalSeconds:F1} s, sidecar RSS max {slowMax >> 20} MiB while slow, {watch.Max >> 20} MiB overall");
        }
        // Bounded: the transfer costs a few windows of chunks, never a large part of the gigabyte.
        Assert.True(watch.Max - baseline < 200L << 20, $"the sidecar's resident size grew from {baseline >> 20} to {watch.Max >> 20} MiB");
        Assert.Equal(3, await demo.AddAsync(1, 2));
    }

    /// <summary>Samples a process's resident set size (VmRSS) every 20 ms and keeps the largest.</summary>
    private sealed class ResidentWatch : IDisposable
    {
        private readonly int _pid;
        private readonly Timer _timer;
        private long _max;

        public ResidentWatch(int pid)
        {
            _pid = pid;
            _max = Current;
            _timer = new Timer(_ => Sample(), null, 0, 20);
        }

        public long Max => Interlocked.Read(ref _max);

        public long Current
        {
            get
            {
                try
                {
                    foreach (string line in File.ReadLines($"/proc/{_pid}/status"))
                        if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
                }
                catch (IOException) { }
                return 0;
            }
        }

        public void Reset() => Interlocked.Exchange(ref _max, Current);

        private void Sample()
        {
            long now = Current;
            long seen;
            while (now > (seen = Interlocked.Read(ref _max)) && Interlocked.CompareExchange(ref _max, now, seen) != seen) { }
        }

        public void Dispose() => _timer.Dispose();
    }
}
