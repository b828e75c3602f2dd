using SidecarKit.Processes;
using SidecarKit.Samples.Demo;
using SidecarKit.Transports.MessagePack;

namespace SidecarKit.EndToEnd.Tests;

/// <summary>The demo sidecar over MessagePack-RPC on each carrier, called through the same generated proxy.</summary>
public class MessagePackSidecarTests
{
    internal static SidecarProcessOptions Options(SidecarCarrier carrier, MessagePackOptions? messagePack = null, params string[] extraArgs)
    {
        var options = new SidecarProcessOptions { Name = "demo-" + carrier, FileName = "dotnet", ReadyTimeout = TimeSpan.FromSeconds(60) }
            .UseMessagePack(carrier, messagePack);
        options.Arguments.Add(DemoSidecar.DllPath);
        options.Arguments.Add("--transport");
        options.Arguments.Add(TransportName(carrier));
        foreach (string a in extraArgs) options.Arguments.Add(a);
        options.Callbacks.AddContract<IDemoEvents>(new RecordingEvents(confirm: true));
        return options;
    }

    internal static string TransportName(SidecarCarrier carrier) => carrier switch
    {
        SidecarCarrier.Stdio => MessagePackExtensions.StdioTransportName,
        SidecarCarrier.UnixSocket => MessagePackExtensions.UnixSocketTransportName,
        _ => MessagePackExtensions.NamedPipeTransportName,
    };

    [Theory]
    [InlineData(SidecarCarrier.Stdio)]
    [InlineData(SidecarCarrier.UnixSocket)]
    [InlineData(SidecarCarrier.NamedPipe)]
    public async Task Every_demo_method(SidecarCarrier carrier)
    {
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(Options(carrier));
        Assert.Equal(TransportName(carrier), sidecar.ReadyInfo.Transport);
        Assert.Equal(carrier == SidecarCarrier.Stdio, sidecar.ReadyInfo.ListenInfo is null);
        await CallEveryMethodAsync(sidecar.GetClient<IDemo>()); // ends with demo.exit: Environment.Exit, no shutdown

        await sidecar.Exited.WaitAsync(TimeSpan.FromSeconds(30));
        string? where = sidecar.ReadyInfo.ListenInfo;
        if (carrier == SidecarCarrier.UnixSocket)
        {
            Assert.False(File.Exists(where), "the socket is removed even when the process ends with Environment.Exit");
            Assert.False(Directory.Exists(Path.GetDirectoryName(where)), "so is its private directory");
        }
        if (carrier == SidecarCarrier.NamedPipe)
            Assert.False(File.Exists(Path.Combine(Path.GetTempPath(), "CoreFxPipe_" + where)));
    }

    [Fact]
    public async Task Bytes_that_are_not_messagepack_on_stdio_end_the_sidecar_with_reason_protocol_error_and_exit_code_1()
    {
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(DemoSidecar.DllPath);
        psi.ArgumentList.Add("--transport");
        psi.ArgumentList.Add("msgpack");
        using var p = System.Diagnostics.Process.Start(psi)!;
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        Stream stdout = p.StandardOutput.BaseStream;
        var received = new MemoryStream();
        byte[] chunk = new byte[4096];
        p.StandardInput.BaseStream.Write([0xc1]); // the reserved byte: never valid MessagePack
        p.StandardInput.BaseStream.Flush();
        int read;
        while ((read = await stdout.ReadAsync(chunk).AsTask().WaitAsync(TimeSpan.FromSeconds(60))) > 0) received.Write(chunk, 0, read);
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, p.ExitCode);
        string text = System.Text.Encoding.UTF8.GetString(received.ToArray()); // strings inside MessagePack are plain UTF-8
        Assert.Contains("lifecycle.shutdown", text);
        Assert.Contains("protocol-error", text);
        Assert.Contains("0xc1", await stderr);
    }

    [Fact]
    public async Task Array_layout_is_read_by_a_sidecar_that_writes_maps()
    {
        // Each side picks the layout it writes; reading takes both. Here only the parent writes arrays.
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(
            Options(SidecarCarrier.UnixSocket, new MessagePackOptions { ObjectLayout = MessagePackObjectLayout.Array }));
        await CallEveryMethodAsync(sidecar.GetClient<IDemo>());
    }

    internal static async Task CallEveryMethodAsync(IDemo demo)
    {
        Assert.Equal(5, await demo.AddAsync(2, 3));
        var ada = new Person("Ada", 36, ["math"], new Address("St James's Square", "London"), new DateTimeOffset(1815, 12, 10, 0, 0, 0, TimeSpan.Zero));
        Person back = await demo.EchoAsync(ada);
        Assert.Equal(ada with { Tags = back.Tags }, back);
        Assert.Equal(["math"], back.Tags);
        Assert.Equal(DemoErrors.DivisionByZero, (await Assert.ThrowsAsync<SidecarRemoteException>(() => demo.DivideAsync(1, 0))).Code);
        var items = new List<int>();
        await foreach (int i in demo.CountAsync(300)) items.Add(i);
        Assert.Equal(Enumerable.Range(1, 300), items);
        byte[] blob = await demo.BlobAsync(100_000);
        Assert.Equal(100_000, blob.Length);
        Assert.All(Enumerable.Range(0, blob.Length), i => Assert.Equal((byte)(i % 256), blob[i]));
        Assert.Equal(4, await demo.WorkAsync(4));
        demo.Log("hello over msgpack");
        using (var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100)))
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => demo.SleepAsync(60_000, cts.Token));
        int[] many = await Task.WhenAll(Enumerable.Range(0, 1000).Select(i => demo.AddAsync(i, 1)));
        Assert.Equal(Enumerable.Range(1, 1000), many);
        var crash = await Assert.ThrowsAsync<SidecarCrashedException>(() => demo.ExitAsync(4));
        Assert.Equal(4, crash.ExitCode);
    }
}
