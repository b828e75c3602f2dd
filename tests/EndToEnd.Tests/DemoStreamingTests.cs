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

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task The_newer_types_round_trip(string transport)
    {
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(DemoSidecar.Options(transport));
        IDemo demo = sidecar.GetClient<IDemo>();
        Sample sample = NewSample();
        Sample back = await demo.SampleAsync(sample);
        AssertSame(sample, back);

        // Edge values: the extremes of the big integers and of the half, the earliest day, midnight, empty collections.
        Sample edges = sample with
        {
            Day = DateOnly.MinValue, At = TimeOnly.MinValue, Big = Int128.MinValue, Unsigned = UInt128.MaxValue, Ratio = Half.MaxValue,
            Tags = [], Scores = [], Counts = System.Collections.Immutable.ImmutableDictionary<string, int>.Empty, ById = [], ByGuid = [],
            Note = "",
        };
        AssertSame(edges, await demo.SampleAsync(edges));
    }

    internal static Sample NewSample() => new(
        new DateOnly(2026, 12, 7), new TimeOnly(23, 59, 58, 123, 456), Int128.MaxValue - 5, UInt128.MaxValue / 3, (Half)0.333,
        new Uri("https://example.com/a?b=c#d"), new Version(1, 2, 3, 4), ["x", "y"], [3, 1, 2],
        System.Collections.Immutable.ImmutableDictionary<string, int>.Empty.Add("a", 1).Add("b", -2),
        new Dictionary<int, string> { [-1] = "minus one", [7] = "seven" },
        new Dictionary<Guid, int> { [new Guid("0f8fad5b-d9cb-469f-a165-70867728950e")] = 42 })
    {
        Note = "required",
    };

    internal static void AssertSame(Sample expected, Sample actual)
    {
        Assert.Equal(expected.Day, actual.Day);
        Assert.Equal(expected.At, actual.At);
        Assert.Equal(expected.Big, actual.Big);
        Assert.Equal(expected.Unsigned, actual.Unsigned);
        Assert.Equal(expected.Ratio, actual.Ratio);
        Assert.Equal(expected.Link, actual.Link);
        Assert.Equal(expected.Release, actual.Release);
        Assert.True(expected.Tags.SetEquals(actual.Tags));
        Assert.Equal(expected.Scores.ToArray(), actual.Scores.ToArray()); // order kept (ImmutableArray compares its reference)
        Assert.Equal(expected.Counts.OrderBy(p => p.Key), actual.Counts.OrderBy(p => p.Key));
        Assert.Equal(expected.ById.OrderBy(p => p.Key), actual.ById.OrderBy(p => p.Key));
        Assert.Equal(expected.ByGuid.OrderBy(p => p.Key), actual.ByGuid.OrderBy(p => p.Key));
        Assert.Equal(expected.Note, actual.Note);
    }
}
