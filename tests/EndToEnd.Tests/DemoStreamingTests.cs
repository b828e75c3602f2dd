using SidecarKit.Processes;
using SidecarKit.Samples.Demo;
using SidecarKit.Tests.Support;
using Circle = SidecarKit.Samples.Demo.Circle;

namespace SidecarKit.EndToEnd.Tests;

/// <summary>
/// The demo's client-streaming, bidirectional and polymorphic methods against the real demo sidecar process, on each
/// transport, through the generated proxy.
/// </summary>
public class DemoStreamingTests
{
    public static TheoryData<string> Transports => DemoSidecar.Transports;

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Sum_chat_and_area(string transport)
    {
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(DemoSidecar.Options(transport));
        IDemo demo = sidecar.GetClient<IDemo>();

        Assert.Equal(5050, await demo.SumAsync(AsyncItems.Of(Enumerable.Range(1, 100).ToArray())));
        Assert.Equal(0, await demo.SumAsync(AsyncItems.Of<int>()));
        // More than a window of credit, and values whose sum needs 64 bits.
        Assert.Equal(5_000L * int.MaxValue, await demo.SumAsync(Repeat(int.MaxValue, 5_000)));

        var lines = System.Threading.Channels.Channel.CreateUnbounded<string>();
        await using (IAsyncEnumerator<string> replies = demo.ChatAsync("re: ", lines.Reader.ReadAllAsync()).GetAsyncEnumerator())
        {
            foreach (string line in new[] { "hello", "", "ünïcødé" })
            {
                lines.Writer.TryWrite(line);
                Assert.True(await replies.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20)));
                Assert.Equal("re: " + line, replies.Current);
            }
            lines.Writer.Complete();
            Assert.False(await replies.MoveNextAsync());
        }

        Assert.Equal(Math.PI * 4, await demo.AreaAsync(new Circle("c", 2)), 9);
        Assert.Equal(6, await demo.AreaAsync(new Rectangle("r", 2, 3)));

        // A caller that leaves a bidirectional stream early: the sidecar stops, and the connection goes on.
        await foreach (string reply in demo.ChatAsync("", Endless()))
            if (reply == "3") break;
        Assert.Equal(3, await demo.AddAsync(1, 2));
    }

    private static async IAsyncEnumerable<int> Repeat(int value, int count)
    {
        for (int i = 0; i < count; i++)
        {
            if (i % 100 == 0) await Task.Yield();
            yield return value;
        }
    }

    private static async IAsyncEnumerable<string> Endless([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        for (int i = 1; ; i++)
        {
            await Task.Delay(1, ct);
            yield return i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}
