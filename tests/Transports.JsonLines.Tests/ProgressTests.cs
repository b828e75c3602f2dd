using SidecarKit.Rpc;
using SidecarKit.Tests.Support;

namespace SidecarKit.Transports.JsonLines.Tests;

/// <summary>IProgress&lt;T&gt; parameters over a JSON-RPC connection (<see cref="ProgressScenarios"/>), and their messages.</summary>
public class ProgressTests : ProgressScenarios
{
    protected override (IReporting Client, IAsyncDisposable Connection) Connect(Reporting service)
    {
        ConnectionPair pair = ConnectionPair.Create(new RpcHandlerTable().AddContract<IReporting>(service));
        return (pair.Client.GetClient<IReporting>(), pair);
    }

    [Fact]
    public void The_description_names_the_reports_type_and_leaves_the_progress_out_of_the_params()
    {
        string json = Descriptor<IReporting>().DescriptionJson;
        Assert.Contains("{\"name\":\"reporting.work\",\"kind\":\"request\",\"params\":[{\"name\":\"steps\",\"type\":\"int32\"}],\"progress\":\"int32\",\"result\":\"int32\"}", json);
        Assert.Contains("\"params\":[{\"name\":\"name\",\"type\":\"string\"}],\"progress\":\"CopyReport\"", json);
    }

    [Fact]
    public async Task The_reports_are_progress_notifications_tied_to_the_request_before_its_response()
    {
        await using var server = new RawJsonServer(new RpcHandlerTable().AddContract<IReporting>(new Reporting()));
        await server.SendLineAsync("""{"jsonrpc":"2.0","id":7,"method":"reporting.work","params":{"steps":2}}""");
        Assert.Equal("""{"jsonrpc":"2.0","method":"$/progress","params":{"id":7,"item":1}}""", await server.ReadLineAsync());
        Assert.Equal("""{"jsonrpc":"2.0","method":"$/progress","params":{"id":7,"item":2}}""", await server.ReadLineAsync());
        Assert.Equal("""{"jsonrpc":"2.0","id":7,"result":2}""", await server.ReadLineAsync());
    }

    private static ContractDescriptor Descriptor<T>() where T : class, ISidecarContract<T> => T.Descriptor;
}
