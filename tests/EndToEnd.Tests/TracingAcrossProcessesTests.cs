using System.Diagnostics;
using SidecarKit.Carriers;
using SidecarKit.Processes;
using SidecarKit.Samples.Demo;
using SidecarKit.Tests.Support;
using SidecarKit.Transports.Grpc;
using SidecarKit.Transports.JsonLines;

namespace SidecarKit.EndToEnd.Tests;

/// <summary>
/// One trace across processes: the parent's client span, the sidecar's server span (the C# demo with DEMO_TRACES=1
/// logs its spans) and the parent's span of the callback the sidecar makes while serving the call; the Python demo
/// passes the context on to its callbacks (docs/observability.md).
/// </summary>
[Collection(TelemetryCapture.Collection)]
public class TracingAcrossProcessesTests
{
    private static SidecarProcessOptions CSharp(string transport, RecordingLoggerFactory logs)
    {
        SidecarProcessOptions options = transport switch
        {
            "jsonl" => DemoSidecar.Options(),
            "msgpack" => MessagePackSidecarTests.Options(SidecarCarrier.Stdio),
            _ => GrpcDemo(),
        };
        options.Environment["DEMO_TRACES"] = "1";
        options.LoggerFactory = logs;
        return options;
    }

    private static SidecarProcessOptions GrpcDemo()
    {
        var options = new SidecarProcessOptions { Name = "demo-grpc", FileName = "dotnet", ReadyTimeout = TimeSpan.FromSeconds(60) }.UseGrpc();
        options.Arguments.Add(DemoSidecar.DllPath);
        options.Arguments.Add("--transport");
        options.Arguments.Add("grpc");
        options.Callbacks.AddContract<IDemoEvents>(new RecordingEvents(confirm: true));
        return options;
    }

    [Theory]
    [InlineData("jsonl")]
    [InlineData("msgpack")]
    [InlineData("grpc")]
    public async Task The_sidecars_server_span_and_its_callbacks_join_the_parents_trace(string transport)
    {
        using var capture = new TelemetryCapture();
        var logs = new RecordingLoggerFactory();
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(CSharp(transport, logs));
        IDemo demo = sidecar.GetClient<IDemo>();
        ActivityTraceId trace;
        using (Activity root = capture.StartRoot())
        {
            trace = root.TraceId;
            Assert.Equal(2, await demo.WorkAsync(2));
        }
        Activity work = await capture.SpanAsync(trace, s => s.Kind == ActivityKind.Client && s.DisplayName == "demo/work");
        // The sidecar's own span of demo.work, from its log: the same trace, under the parent's client span (on gRPC
        // possibly under ASP.NET Core's request span, itself under it).
        await DemoSidecarTests.Eventually(() => logs.Entries.Any(e => e.Message.Contains($"span demo/work Server trace={trace}")), "the sidecar's span of demo.work");
        string line = logs.Entries.First(e => e.Message.Contains($"span demo/work Server trace={trace}")).Message;
        if (transport != "grpc") Assert.Contains($"parent={work.SpanId}", line);
        Activity confirm = await capture.SpanAsync(trace, s => s.Kind == ActivityKind.Server && s.DisplayName == "demoEvents/confirm");
        Assert.Contains($"span={confirm.ParentSpanId}", string.Join("\n", logs.Entries.Select(e => e.Message))); // the sidecar's client span of the callback
    }

    [Fact]
    public async Task The_python_sidecar_passes_the_context_on_to_its_callbacks()
    {
        using var capture = new TelemetryCapture();
        var options = new SidecarProcessOptions { Name = "python-demo", FileName = "/usr/bin/python3", ReadyTimeout = TimeSpan.FromSeconds(20) }.UseJsonLines();
        options.Arguments.Add(Path.Combine(Repository.Root, "samples", "Polyglot", "python", "demo_sidecar.py"));
        options.Callbacks.AddContract<IDemoEvents>(new RecordingEvents(confirm: true));
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options);
        ActivityTraceId trace;
        using (Activity root = capture.StartRoot())
        {
            trace = root.TraceId;
            Assert.Equal(2, await sidecar.GetClient<IDemo>().WorkAsync(2));
        }
        Activity work = await capture.SpanAsync(trace, s => s.Kind == ActivityKind.Client && s.DisplayName == "demo/work");
        Activity confirm = await capture.SpanAsync(trace, s => s.Kind == ActivityKind.Server && s.DisplayName == "demoEvents/confirm");
        Assert.Equal(work.SpanId, confirm.ParentSpanId); // the Python side makes no span: its callbacks hang under the call
    }

    [Fact]
    public async Task The_observability_sample_shows_one_trace_across_both_processes_and_the_metrics()
    {
        string config = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(Repository.Root, "samples", "Observability", "bin", config, "net10.0", "SidecarKit.Samples.Observability.dll"));
        using Process sample = Process.Start(psi)!;
        Task<string> errors = sample.StandardError.ReadToEndAsync();
        string output = await sample.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(120));
        await sample.WaitForExitAsync();
        Assert.True(sample.ExitCode == 0, output + await errors);
        string trace = System.Text.RegularExpressions.Regex.Match(output, "^trace ([0-9a-f]{32}):", System.Text.RegularExpressions.RegexOptions.Multiline).Groups[1].Value;
        Assert.NotEmpty(trace);
        Assert.Contains($"span demo/add Server trace={trace}", output);        // the sidecar's spans, logged there, re-emitted here
        Assert.Contains($"span demo/work Server trace={trace}", output);
        Assert.Contains($"span demoEvents/confirm Client trace={trace}", output);
        Assert.True(System.Text.RegularExpressions.Regex.Matches(output, $"Activity.TraceId: +{trace}").Count >= 5, output); // the parent's: root, add, work, the callbacks
        Assert.Contains("Metric Name: rpc.client.duration", output);
    }
}
