using SidecarKit.Tests.Support;
using System.Buffers;
using System.IO.Pipes;
using System.Net.Sockets;
using System.Text.Json;
using MessagePack;
using SidecarKit.Processes;
using SidecarKit.Samples.Demo;
using SidecarKit.Transports.MessagePack;

namespace SidecarKit.EndToEnd.Tests;

/// <summary>
/// The demo sidecar on a Unix socket or named pipe, seen from raw connections: where it listens and with which modes,
/// who it admits, what bad input does, and what a client that never reads costs it.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class SocketCarrierTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyDirectory = OwnerReadWrite | UnixFileMode.UserExecute;

    private static Task<SidecarProcess> StartAsync(SidecarCarrier carrier, params string[] extraArgs)
        => SidecarProcess.StartAsync(MessagePackSidecarTests.Options(carrier, null, extraArgs));

    [Fact]
    public async Task A_unix_socket_is_0600_in_a_fresh_0700_directory_and_both_are_removed_on_exit()
    {
        SidecarProcess sidecar = await StartAsync(SidecarCarrier.UnixSocket);
        string path = sidecar.ReadyInfo.ListenInfo!;
        string directory = Path.GetDirectoryName(path)!;
        Assert.StartsWith($"sidecarkit-{sidecar.ProcessId}-", Path.GetFileName(directory));
        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(path));
        Assert.Equal(OwnerOnlyDirectory, File.GetUnixFileMode(directory));

        await using (SidecarProcess second = await StartAsync(SidecarCarrier.UnixSocket))
            Assert.NotEqual(path, second.ReadyInfo.ListenInfo); // two sidecars never collide

        Assert.Equal(0, await sidecar.StopAsync());
        await sidecar.DisposeAsync();
        Assert.False(File.Exists(path), "the socket file is removed on exit");
        Assert.False(Directory.Exists(directory), "the private directory is removed on exit");
    }

    [Fact]
    public async Task A_named_pipe_is_current_user_only_and_removed_on_exit()
    {
        SidecarProcess sidecar = await StartAsync(SidecarCarrier.NamedPipe);
        string name = sidecar.ReadyInfo.ListenInfo!;
        string file = Path.Combine(Path.GetTempPath(), "CoreFxPipe_" + name); // where .NET puts a pipe on Linux
        Assert.StartsWith($"sidecarkit-{sidecar.ProcessId}-", name);
        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(file));
        Assert.Equal(0, await sidecar.StopAsync());
        await sidecar.DisposeAsync();
        Assert.False(File.Exists(file), "the pipe's socket file is removed on exit");
    }

    [Theory]
    [InlineData(SidecarCarrier.UnixSocket)]
    [InlineData(SidecarCarrier.NamedPipe)]
    public async Task A_connection_without_the_right_token_is_closed_before_any_method_runs(SidecarCarrier carrier)
    {
        await using SidecarProcess sidecar = await StartAsync(carrier);
        IDemo demo = sidecar.GetClient<IDemo>();
        string where = sidecar.ReadyInfo.ListenInfo!;

        // demo.exit would end the sidecar: that it is still alive proves nothing ran.
        byte[] exit = RawClient.Request(1, "demo.exit", (ref MessagePackWriter w) => w.Write(9));
        await using (RawClient noHello = await RawClient.ConnectAsync(carrier, where))
        {
            await noHello.SendAsync(exit);
            Assert.Null(await noHello.ReadAsync());
        }
        await using (RawClient wrongToken = await RawClient.ConnectAsync(carrier, where))
        {
            await wrongToken.SendAsync(RawClient.Hello("not-the-token"));
            await wrongToken.SendUnlessClosedAsync(exit);
            Assert.Null(await wrongToken.ReadAsync());
        }
        await using (RawClient malformed = await RawClient.ConnectAsync(carrier, where))
        {
            await malformed.SendAsync(RawClient.Notification("$/hello", (ref MessagePackWriter w) => w.Write(42)));
            await malformed.SendUnlessClosedAsync(exit);
            Assert.Null(await malformed.ReadAsync());
        }

        Assert.False(sidecar.Exited.IsCompleted);
        Assert.Equal(5, await demo.AddAsync(2, 3));
        await DemoSidecarTests.Eventually(() => sidecar.StderrTail.Any(l => l.Contains("carried a wrong token")), "the wrong token logged");
        Assert.Contains(sidecar.StderrTail, l => l.Contains("refused: the first message was 'demo.exit', not the notification $/hello"));
        Assert.Contains(sidecar.StderrTail, l => l.Contains("refused: malformed $/hello params"));
    }

    [Fact]
    public async Task A_stale_socket_file_is_replaced_and_a_live_one_or_a_real_file_is_refused()
    {
        string path = Path.Combine(Path.GetTempPath(), $"skt-{Guid.NewGuid():N}.sock");
        try
        {
            SidecarProcess killed = await StartAsync(SidecarCarrier.UnixSocket, "--listen", path);
            Assert.Equal(path, killed.ReadyInfo.ListenInfo);
            await killed.KillAsync(); // SIGKILL: no chance to clean up
            await killed.DisposeAsync();
            Assert.True(File.Exists(path), "a killed sidecar leaves its socket file");

            await using SidecarProcess replacing = await StartAsync(SidecarCarrier.UnixSocket, "--listen", path);
            Assert.Equal(5, await replacing.GetClient<IDemo>().AddAsync(2, 3));
            Assert.Contains(replacing.StderrTail, l => l.Contains("Removed the stale socket file"));

            var busy = await Assert.ThrowsAsync<SidecarStartException>(() => StartAsync(SidecarCarrier.UnixSocket, "--listen", path));
            Assert.Equal(1, busy.ExitCode);
            Assert.Contains("another process is listening there", busy.Message);
            Assert.Equal(7, await replacing.GetClient<IDemo>().AddAsync(3, 4)); // the live one was left alone

            string file = path + ".txt";
            await File.WriteAllTextAsync(file, "precious");
            var notSocket = await Assert.ThrowsAsync<SidecarStartException>(() => StartAsync(SidecarCarrier.UnixSocket, "--listen", file));
            Assert.Contains("not a socket", notSocket.Message);
            Assert.Equal("precious", await File.ReadAllTextAsync(file));
            File.Delete(file);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Bad_input_gets_an_error_or_a_documented_close_and_the_sidecar_serves_on()
    {
        await using SidecarProcess sidecar = await StartAsync(SidecarCarrier.UnixSocket);
        string path = sidecar.ReadyInfo.ListenInfo!;

        // Valid MessagePack, wrong envelopes: answered, and the same connection goes on.
        await using (RawClient c = await RawClient.ConnectAsync(SidecarCarrier.UnixSocket, path, sidecar))
        {
            Assert.Equal(-32600, ErrorCode(await c.CallAsync(Encode((ref MessagePackWriter w) => { w.WriteArrayHeader(3); w.Write(0); w.Write(1); w.Write("demo.add"); }))));
            Assert.Equal(-32600, ErrorCode(await c.CallAsync(Encode((ref MessagePackWriter w) => { w.WriteArrayHeader(4); w.Write(7); w.Write(2); w.WriteNil(); w.WriteNil(); }))));
            Assert.Equal(-32600, ErrorCode(await c.CallAsync(Encode((ref MessagePackWriter w) => w.Write("not an envelope")))));
            Assert.Equal(-32601, ErrorCode(await c.CallAsync(RawClient.Request(3, "demo.nope", (ref MessagePackWriter w) => w.WriteNil()))));
            Assert.Equal(-32602, ErrorCode(await c.CallAsync(RawClient.Request(4, "demo.add", (ref MessagePackWriter w) => { w.Write("2"); w.Write(2); }, 2))));
            JsonElement ok = (await c.CallAsync(RawClient.Request(5, "demo.add", (ref MessagePackWriter w) => { w.Write(2); w.Write(3); }, 2)))!.Value;
            Assert.Equal(5, ok[3].GetInt32());
        }

        // Not MessagePack, too big, or cut short: the connection is closed (a stream without length prefixes cannot be
        // resynchronised). The oversize header (a str32 announcing 100 MiB) is refused before its bytes arrive.
        byte[][] closers =
        [
            [0xc1],
            Encode((ref MessagePackWriter w) => { w.WriteArrayHeader(4); w.Write(0); w.Write(1); w.Write("demo.echo"); w.WriteRaw([0xdb, 0x06, 0x40, 0x00, 0x00]); }),
            RandomBytes(65_536),
        ];
        foreach (byte[] bytes in closers)
        {
            await using RawClient c = await RawClient.ConnectAsync(SidecarCarrier.UnixSocket, path, sidecar);
            await c.SendAsync(bytes);
            Assert.Null(await c.ReadUntilClosedAsync());
        }
        await using (RawClient truncated = await RawClient.ConnectAsync(SidecarCarrier.UnixSocket, path, sidecar))
        {
            byte[] add = RawClient.Request(9, "demo.add", (ref MessagePackWriter w) => { w.Write(1); w.Write(1); }, 2);
            await truncated.SendAsync(add.AsMemory(0, add.Length - 1).ToArray());
            truncated.EndSending();
            Assert.Null(await truncated.ReadUntilClosedAsync());
        }

        Assert.Equal(5, await sidecar.GetClient<IDemo>().AddAsync(2, 3));
        Assert.Contains(sidecar.StderrTail, l => l.Contains("0xc1") || l.Contains("reserved"));
    }

    [Fact]
    public async Task A_4_GiB_array_header_is_refused_after_its_5_bytes()
    {
        // Each element takes at least one byte, so the header alone proves the message over the 16 MiB limit: the
        // connection is closed without waiting for more (it waited for 16 MiB to arrive, which never came here).
        await using SidecarProcess sidecar = await StartAsync(SidecarCarrier.UnixSocket);
        foreach (byte[] header in new byte[][] { [0xdd, 0xff, 0xff, 0xff, 0xff], [0xdf, 0xff, 0xff, 0xff, 0xff], [0x92, 0x00, 0xdd, 0x01, 0x00, 0x00, 0x00] })
        {
            await using RawClient c = await RawClient.ConnectAsync(SidecarCarrier.UnixSocket, sidecar.ReadyInfo.ListenInfo!, sidecar);
            await c.SendAsync(header);
            Assert.Null(await c.ReadUntilClosedAsync()); // fails on its hang guard if the close does not come
        }
        Assert.Equal(5, await sidecar.GetClient<IDemo>().AddAsync(2, 3));
        Assert.Contains(sidecar.StderrTail, l => l.Contains("larger than 16777216 bytes"));
    }

    [Theory]
    [InlineData(SidecarCarrier.UnixSocket)]
    [InlineData(SidecarCarrier.NamedPipe)]
    public async Task Silent_connections_cannot_lock_out_a_client_that_says_hello(SidecarCarrier carrier)
    {
        // 1,000 connections that never say $/hello used to fill the 64 slots (MaxConnections) until the hello timeout:
        // the parent's next connection was closed at once. They now wait in a budget of their own
        // (MaxPendingConnections), where each newcomer drops the oldest, and a slot is taken only by a hello.
        await using SidecarProcess sidecar = await StartAsync(carrier);
        string where = sidecar.ReadyInfo.ListenInfo!;
        var silent = new List<RawClient>();
        try
        {
            for (int i = 0; i < 1000; i++) silent.Add(await PatientlyAsync(() => RawClient.ConnectAsync(carrier, where)));
            for (int round = 0; round < 3; round++)
            {
                // Says hello and reads lifecycle.ready.
                await using RawClient parent = await PatientlyAsync(() => RawClient.ConnectAsync(carrier, where, sidecar));
                JsonElement? sum = await parent.CallAsync(RawClient.Request(1, "demo.add", (ref MessagePackWriter w) => { w.Write(2); w.Write(3); }, 2));
                Assert.Equal(5, sum!.Value[3].GetInt32());
            }
            // The oldest silent ones were closed by the sidecar (read: end of stream), not left holding anything.
            Assert.Null(await silent[0].ReadAsync());
        }
        finally
        {
            foreach (RawClient c in silent) await c.DisposeAsync();
        }
        Assert.Equal(5, await sidecar.GetClient<IDemo>().AddAsync(2, 3));   // the parent's own connection served on
        Assert.Contains(sidecar.StderrTail, l => l.Contains("MaxPendingConnections"));
        Assert.DoesNotContain(sidecar.StderrTail, l => l.StartsWith("fail", StringComparison.Ordinal));   // dropping is not a failure

        // The listen backlog (128) fills faster than the sidecar accepts: then an asynchronous connect says "try again"
        // (the parent's own connect blocks until there is room).
        static async Task<RawClient> PatientlyAsync(Func<Task<RawClient>> connect)
        {
            for (int attempt = 0; ; attempt++)
            {
                try { return await connect(); }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.TryAgain && attempt < 1000)
                {
                    await Task.Delay(10);
                }
            }
        }
    }

    [Theory]
    [InlineData(SidecarCarrier.UnixSocket)]
    [InlineData(SidecarCarrier.NamedPipe)]
    public async Task A_client_that_half_closes_gets_every_request_it_sent_answered_then_the_close(SidecarCarrier carrier)
    {
        // shutdown(SHUT_WR) says "no more requests", as the end of stdin does: what was sent before it runs to completion
        // and is answered, then the sidecar closes the connection. Repeated, because the lost answer was a race (the
        // connection was disposed while demo.add's answer was on its way, in 3 runs of 4).
        await using SidecarProcess sidecar = await StartAsync(carrier);
        for (int run = 0; run < 10; run++)
        {
            await using RawClient c = await RawClient.ConnectSocketAsync(carrier, sidecar.ReadyInfo.ListenInfo!, sidecar);
            await c.SendAsync((byte[])[
                .. RawClient.Request(1, "demo.sleep", (ref MessagePackWriter w) => w.Write(500)),
                .. RawClient.Request(2, "demo.add", (ref MessagePackWriter w) => { w.Write(2); w.Write(3); }, 2)]);
            c.EndSending();
            var answers = new Dictionary<int, JsonElement>();
            while (await c.ReadAsync() is { } message)
                if (message[0].GetInt32() == 1) answers[message[1].GetInt32()] = message;
            Assert.True(answers.ContainsKey(1) && answers.ContainsKey(2), $"run {run}: answered {string.Join(", ", answers.Keys)} of 1 (demo.sleep) and 2 (demo.add)");
            Assert.Equal("slept", answers[1][3].GetString());
            Assert.Equal(5, answers[2][3].GetInt32());
        }
        Assert.False(sidecar.Exited.IsCompleted); // only the connection closed
    }

    [Fact]
    public async Task A_client_that_never_reads_is_pushed_back_and_the_sidecar_stays_bounded_and_serves_others()
    {
        // What must stay bounded is the memory the sidecar holds, not its uncollected garbage: answers that waited for
        // the blocked socket age into the older generations and stay there as garbage until a full collection, so the
        // resident size alone wandered between 31 and 374 MiB across runs. Under a heap limit the GC collects them
        // instead, and a sidecar that held on to what it is asked for would run out of memory and fail the calls
        // below. The limit is not tight: until the first answer blocks, requests are read and served freely, up to
        // MaxConcurrentRequests (4096) at once, and on a loaded machine many can be in flight before the push-back
        // starts (a 96 MiB limit ran out once in CI).
        SidecarProcessOptions options = MessagePackSidecarTests.Options(SidecarCarrier.UnixSocket, null);
        options.Environment["DOTNET_GCHeapHardLimit"] = "0x18000000";   // 384 MiB
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options);
        IDemo demo = sidecar.GetClient<IDemo>();
        long before = DemoSidecarTests.ResidentBytes(sidecar.ProcessId);

        // Each request asks for 64 KiB; the client sends and sends and never reads an answer.
        await using RawClient greedy = await RawClient.ConnectAsync(SidecarCarrier.UnixSocket, sidecar.ReadyInfo.ListenInfo!, sidecar);
        var batch = new ArrayBufferWriter<byte>();
        int sent = 0;
        bool pushedBack = false;
        while (sent < 400_000)
        {
            batch.ResetWrittenCount();
            for (int i = 0; i < 100; i++, sent++)
                batch.Write(RawClient.Request(1000 + sent, "demo.blob", (ref MessagePackWriter w) => w.Write(65_536)));
            if (!await greedy.TrySendAsync(batch.WrittenMemory, TimeSpan.FromSeconds(3)))
            {
                pushedBack = true;
                break;
            }
        }
        Assert.True(pushedBack, $"the sidecar read all {sent} requests (about {sent * 64L / 1024} MiB of answers) without pushing back");

        long during = DemoSidecarTests.ResidentBytes(sidecar.ProcessId);
        output.WriteLine($"{sent} requests sent before the push-back; the sidecar grew by {(during - before) / (1024 * 1024)} MiB");
        Assert.True(during - before < 448L * 1024 * 1024, $"the sidecar grew by {(during - before) / (1024 * 1024)} MiB for a client that does not read ({sent} requests sent)");
        Assert.Equal(5, await demo.AddAsync(2, 3).WaitAsync(TimeSpan.FromSeconds(10))); // other connections are served meanwhile
    }

    private static int ErrorCode(JsonElement? response)
    {
        Assert.NotNull(response);
        Assert.Equal(1, response.Value[0].GetInt32());
        return response.Value[2].GetProperty("code").GetInt32();
    }

    private delegate void WriteAction(ref MessagePackWriter writer);

    private static byte[] Encode(WriteAction write) => RawClient.Encode(write);

    private static byte[] RandomBytes(int length)
    {
        byte[] bytes = new byte[length];
        new Random(42).NextBytes(bytes);
        bytes[0] = 0xc1; // never a valid start, whatever the seed gives
        return bytes;
    }

    /// <summary>A MessagePack-RPC client by hand over a raw socket or pipe, to send what a real client never would.</summary>
    private sealed class RawClient : IAsyncDisposable
    {
        private readonly Stream _stream;
        private readonly Socket? _socket;
        private byte[] _buffer = new byte[1 << 16];
        private int _filled;

        private RawClient(Stream stream, Socket? socket)
        {
            _stream = stream;
            _socket = socket;
        }

        /// <summary>Connects; when <paramref name="sidecar"/> is given, says <c>$/hello</c> with its token and reads <c>lifecycle.ready</c>.</summary>
        public static async Task<RawClient> ConnectAsync(SidecarCarrier carrier, string where, SidecarProcess? sidecar = null)
        {
            RawClient client;
            if (carrier == SidecarCarrier.UnixSocket)
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(where));
                client = new RawClient(new NetworkStream(socket, ownsSocket: true), socket);
            }
            else
            {
                var pipe = new NamedPipeClientStream(".", where, PipeDirection.InOut, PipeOptions.Asynchronous);
                await pipe.ConnectAsync(5000);
                client = new RawClient(pipe, null);
            }
            if (sidecar is not null)
            {
                await client.SendAsync(Hello(TokenOf(sidecar)));
                JsonElement? ready = await client.ReadAsync();
                Assert.Equal("lifecycle.ready", ready!.Value[1].GetString());
            }
            return client;
        }

        /// <summary>
        /// Like <see cref="ConnectAsync"/>, always over a raw socket, so that <see cref="EndSending"/> can half-close: a
        /// named pipe is a Unix socket on Linux, at <c>CoreFxPipe_&lt;name&gt;</c> in the temp directory.
        /// </summary>
        public static async Task<RawClient> ConnectSocketAsync(SidecarCarrier carrier, string where, SidecarProcess sidecar)
            => carrier == SidecarCarrier.UnixSocket
                ? await ConnectAsync(carrier, where, sidecar)
                : await ConnectAsync(SidecarCarrier.UnixSocket, Path.Combine(Path.GetTempPath(), "CoreFxPipe_" + where), sidecar);

        // The parent put the token in the child's environment; read it back from there.
        private static string TokenOf(SidecarProcess sidecar) => ProcessInfo.TokenOf(sidecar.ProcessId);

        public static byte[] Encode(WriteAction write)
        {
            var buffer = new ArrayBufferWriter<byte>();
            var writer = new MessagePackWriter(buffer);
            write(ref writer);
            writer.Flush();
            return buffer.WrittenSpan.ToArray();
        }

        public static byte[] Hello(string token) => Notification("$/hello", (ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(1);
            w.Write("token");
            w.Write(token);
        });

        public static byte[] Notification(string method, WriteAction param) => Encode((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(3);
            w.Write(2);
            w.Write(method);
            w.WriteArrayHeader(1);
            param(ref w);
        });

        public static byte[] Request(long id, string method, WriteAction parameters, int count = 1) => Encode((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(4);
            w.Write(0);
            w.Write(id);
            w.Write(method);
            w.WriteArrayHeader(count);
            parameters(ref w);
        });

        public async Task SendAsync(ReadOnlyMemory<byte> bytes)
        {
            await _stream.WriteAsync(bytes);
            await _stream.FlushAsync();
        }

        // After a refused $/hello the sidecar may close the connection before the next message is written: then the
        // write fails (a broken pipe), which is the refusal the test looks for, seen one step earlier.
        public async Task SendUnlessClosedAsync(ReadOnlyMemory<byte> bytes)
        {
            try { await SendAsync(bytes); }
            catch (IOException) { }
        }

        public async Task<bool> TrySendAsync(ReadOnlyMemory<byte> bytes, TimeSpan patience)
        {
            Task send = SendAsync(bytes);
            return await Task.WhenAny(send, Task.Delay(patience)) == send && send.IsCompletedSuccessfully;
        }

        public void EndSending() => _socket!.Shutdown(SocketShutdown.Send);

        /// <summary>Sends a request and returns the response, skipping notifications.</summary>
        public async Task<JsonElement?> CallAsync(byte[] request)
        {
            await SendAsync(request);
            while (true)
            {
                JsonElement? message = await ReadAsync();
                if (message is null || message.Value.ValueKind != JsonValueKind.Array || message.Value[0].GetInt32() != 2) return message;
            }
        }

        /// <summary>The next message as JSON, or null when the other side closed the connection.</summary>
        public async Task<JsonElement?> ReadAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            while (true)
            {
                var sequence = new ReadOnlySequence<byte>(_buffer, 0, _filled);
                if (_filled > 0 && MessagePackFraming.TryGetObject(sequence, 64, 1 << 26, out long length, out string? error) == FrameStatus.Complete)
                {
                    JsonElement json = MessagePackJson.ToJson(sequence.Slice(0, length));
                    Buffer.BlockCopy(_buffer, (int)length, _buffer, 0, _filled - (int)length);
                    _filled -= (int)length;
                    return json;
                }
                if (_filled == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
                int read;
                try { read = await _stream.ReadAsync(_buffer.AsMemory(_filled), timeout.Token); }
                catch (IOException) { return null; } // reset by the peer: closed too
                if (read == 0) return null;
                _filled += read;
            }
        }

        /// <summary>Reads (and drops) whatever comes until the other side closes; null then. Fails on a timeout.</summary>
        public async Task<JsonElement?> ReadUntilClosedAsync()
        {
            while (await ReadAsync() is not null) { }
            return null;
        }

        public async ValueTask DisposeAsync() => await _stream.DisposeAsync();
    }
}
