using SidecarKit.Processes;
using SidecarKit.Samples.Demo;
using SidecarKit.Transports.JsonLines;

namespace SidecarKit.EndToEnd.Tests;

/// <summary>The demo sidecar over JSON-RPC with <c>Content-Length</c> headers (<c>--transport jsonrpc</c>, <c>UseJsonRpc()</c>).</summary>
public class JsonRpcSidecarTests
{
    [Fact]
    public async Task Every_demo_method()
    {
        var options = new SidecarProcessOptions { Name = "demo-jsonrpc", FileName = "dotnet", ReadyTimeout = TimeSpan.FromSeconds(60) }.UseJsonRpc();
        options.Arguments.Add(DemoSidecar.DllPath);
        options.Arguments.Add("--transport");
        options.Arguments.Add(JsonLines.ContentLengthTransportName);
        options.Callbacks.AddContract<IDemoEvents>(new RecordingEvents(confirm: true));
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options);
        Assert.Equal("jsonrpc", sidecar.ReadyInfo.Transport);
        await MessagePackSidecarTests.CallEveryMethodAsync(sidecar.GetClient<IDemo>()); // ends with demo.exit
        await sidecar.Exited.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_json_line_without_headers_ends_the_sidecar_with_reason_protocol_error_and_exit_code_1()
    {
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(DemoSidecar.DllPath);
        psi.ArgumentList.Add("--transport");
        psi.ArgumentList.Add("jsonrpc");
        using var p = System.Diagnostics.Process.Start(psi)!;
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        // What a JSON-lines client would send: not a header section.
        p.StandardInput.Write("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"demo.add\",\"params\":{\"a\":1,\"b\":2}}\r\n\r\n");
        p.StandardInput.Flush();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(1, p.ExitCode);
        string output = await stdout;
        Assert.StartsWith("Content-Length: ", output); // lifecycle.ready, then lifecycle.shutdown, each with its header
        Assert.Contains("lifecycle.shutdown", output);
        Assert.Contains("protocol-error", output);
        Assert.Contains("content-length framing", await stderr);
    }
}
