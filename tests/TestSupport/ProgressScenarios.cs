using Xunit;

namespace SidecarKit.Tests.Support;

/// <summary>IProgress&lt;T&gt; parameters through the generated proxy and dispatcher; each RPC transport derives once.</summary>
public abstract class ProgressScenarios
{
    /// <summary>A client of <paramref name="service"/> over the transport under test, and what to dispose.</summary>
    protected abstract (IReporting Client, IAsyncDisposable Connection) Connect(Reporting service);

    [Fact]
    public async Task Every_report_arrives_in_order_before_the_call_completes()
    {
        var service = new Reporting();
        var (client, connection) = Connect(service);
        await using var _ = connection;

        for (int round = 0; round < 20; round++)
        {
            var progress = new Recorded<int>();
            Assert.Equal(500, await client.WorkAsync(500, progress));
            Assert.Equal(Enumerable.Range(1, 500), progress.Reports); // all of them, in order, before the result
        }

        var copies = new Recorded<CopyReport>();
        await client.CopyAsync(copies, "f");
        Assert.Equal([new CopyReport("f.1", 10), new CopyReport("f.2", 20)], copies.Reports);
        await client.CopyAsync(null, "nobody listens"); // no progress asked for: none sent, the call completes
    }

    [Fact]
    public async Task A_report_after_the_answer_is_dropped_and_a_failing_handler_does_not_break_the_call()
    {
        var service = new Reporting();
        var (client, connection) = Connect(service);
        await using var _ = connection;

        var late = new Recorded<int>();
        Assert.Equal(1, await client.WorkAsync(1, late));
        service.Kept!.Report(99); // the call is answered: nobody to tell
        await Task.Delay(100);
        Assert.Equal([1], late.Reports);

        var throwing = new Recorded<int> { OnReport = _ => throw new InvalidCastException("the caller's handler failed") };
        Assert.Equal(3, await client.WorkAsync(3, throwing));
        Assert.Equal([1, 2, 3], throwing.Reports);
        Assert.Equal(2, await client.WorkAsync(2, new Recorded<int>()));
    }

}
