using SidecarKit.Processes;
using SidecarKit.Samples.Demo;
using SidecarKit.Supervision;
using SidecarKit.Transports.JsonLines;

namespace SidecarKit.EndToEnd.Tests;

/// <summary>A sidecar built from another version of a contract is refused, with both fingerprints in the message.</summary>
public class FingerprintTests
{
    // A few lines of Python that announce "demo" with a fingerprint no build of IDemo has, then wait for stdin to end.
    private const string Impostor = """
        import json, os, sys
        ready = {"version": "9", "protocolVersion": "1.0", "pid": os.getpid(), "instanceId": "x", "transport": "jsonl",
                 "listenInfo": None, "contracts": [{"name": "demo", "fingerprint": "0000000000000000"}]}
        print("__SIDECAR_READY__:" + json.dumps(ready), file=sys.stderr, flush=True)
        print(json.dumps({"jsonrpc": "2.0", "method": "lifecycle.ready", "params": ready}), flush=True)
        sys.stdin.read()
        """;

    private static SidecarProcessOptions Options()
    {
        var options = new SidecarProcessOptions { Name = "impostor", FileName = "/usr/bin/python3", ShutdownTimeout = TimeSpan.FromSeconds(1) }.UseJsonLines();
        options.Arguments.Add("-c");
        options.Arguments.Add(Impostor);
        return options;
    }

    private static string Expected => Descriptor<IDemo>().Fingerprint;

    private static ContractDescriptor Descriptor<T>() where T : class, ISidecarContract<T> => T.Descriptor;

    [Fact]
    public async Task GetClient_refuses_a_sidecar_with_another_fingerprint()
    {
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(Options());
        var e = Assert.Throws<SidecarContractException>(() => sidecar.GetClient<IDemo>());
        Assert.Equal("demo", e.ContractName);
        Assert.Equal(["demo@0000000000000000"], e.ServedContracts);
        Assert.Contains("0000000000000000", e.Message);
        Assert.Contains(Expected, e.Message);
    }

    [Fact]
    public async Task A_supervisor_fails_at_once_on_a_fingerprint_mismatch_without_restarting()
    {
        await using var supervisor = new SidecarSupervisor(new SidecarSupervisorOptions { Process = Options() });
        supervisor.GetClient<IDemo>();
        var e = await Assert.ThrowsAnyAsync<SidecarException>(() => supervisor.StartAsync());
        Assert.Contains("so the two cannot be compared", e.Message);
        Assert.Equal(SidecarState.Failed, supervisor.Status.State);
        Assert.Equal(0, supervisor.Status.RestartCount);
    }

    [Fact]
    public async Task GetClient_of_a_contract_the_sidecar_does_not_serve_fails_at_once_listing_what_it_serves()
    {
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(DemoSidecar.Options());
        // IDemoEvents is the parent's side (callbacks): the demo sidecar announces demo only.
        var e = Assert.Throws<SidecarContractException>(() => sidecar.GetClient<IDemoEvents>());
        Assert.Equal("demoEvents", e.ContractName);
        Assert.Equal([$"demo@{Expected}"], e.ServedContracts);
        Assert.StartsWith($"The sidecar '{sidecar.Name}' does not serve contract 'demoEvents'; it serves demo@{Expected}.", e.Message);
        Assert.Equal(5, await sidecar.GetClient<IDemo>().AddAsync(2, 3));
    }

    [Theory]
    [InlineData("msgpack", false)]
    [InlineData("jsonl", true)]
    public async Task A_sidecar_on_another_transport_fails_the_start_naming_both_instead_of_hanging_a_call(string sidecarTransport, bool parentOnMessagePack)
    {
        SidecarProcessOptions options = DemoSidecar.Options();
        options.Arguments.Add("--transport");
        options.Arguments.Add(sidecarTransport);
        if (parentOnMessagePack) SidecarKit.Transports.MessagePack.MessagePackExtensions.UseMessagePack(options);
        string parent = parentOnMessagePack ? "msgpack" : "jsonl";
        // Bounded loosely: the failure comes with the ready line, not after a call's 30 s timeout.
        var e = await Assert.ThrowsAsync<SidecarStartException>(() => SidecarProcess.StartAsync(options)).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Contains($"serves transport '{sidecarTransport}', but this parent speaks '{parent}'", e.Message);
        Assert.Contains($"start the sidecar with --transport {parent}", e.Message);
    }

    [Fact]
    public async Task What_a_program_prints_on_stdout_instead_of_speaking_reaches_the_start_error()
    {
        // The dotnet host for a missing app: its advice goes to stdout, where the parent expects JSON lines.
        var options = new SidecarProcessOptions { Name = "missing", FileName = "dotnet", Arguments = { "/nope/x.dll" } }.UseJsonLines();
        var e = await Assert.ThrowsAsync<SidecarStartException>(() => SidecarProcess.StartAsync(options)).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(1, e.ExitCode);
        Assert.Contains("It printed on stdout, where the protocol was expected:", e.Message);
        Assert.Contains("  | Possible reasons for this include:", e.Message);
        Assert.True(e.Message.Contains("dotnet-/nope/x.dll does not exist."), e.Message);
        Assert.Contains("Could not execute because the specified command or file was not found.", e.Message); // stderr, as before
    }
}
