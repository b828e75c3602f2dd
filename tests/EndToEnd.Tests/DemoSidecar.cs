using SidecarKit.Processes;
using SidecarKit.Samples.Demo;
using SidecarKit.Tests.Support;
using SidecarKit.Transports.Grpc;
using SidecarKit.Transports.JsonLines;
using SidecarKit.Transports.MessagePack;

namespace SidecarKit.EndToEnd.Tests;

/// <summary>Starts the real demo sidecar (samples/Demo/Sidecar) as a child process.</summary>
internal static class DemoSidecar
{
    public static string RepoRoot => Repository.Root;

    public static string DllPath => Repository.DemoSidecarDll;

    public static SidecarProcessOptions Options(IDemoEvents? events = null, params string[] extraArgs)
    {
        var options = new SidecarProcessOptions { Name = "demo", FileName = "dotnet", ReadyTimeout = TimeSpan.FromSeconds(60) }.UseJsonLines();
        options.Arguments.Add(DllPath);
        foreach (string a in extraArgs) options.Arguments.Add(a);
        options.Callbacks.AddContract<IDemoEvents>(events ?? new RecordingEvents(confirm: true));
        return options;
    }

    public static Task<SidecarProcess> StartAsync(IDemoEvents? events = null) => SidecarProcess.StartAsync(Options(events));

    /// <summary>Every transport of the demo sidecar, by its <c>--transport</c> name.</summary>
    public static TheoryData<string> Transports => new() { "jsonl", "msgpack", "msgpack-unix", "grpc", "grpc-unix" };

    /// <summary>The demo sidecar on <paramref name="transport"/> (a <c>--transport</c> name), with the parent's side of its callbacks.</summary>
    public static SidecarProcessOptions Options(string transport)
    {
        var options = new SidecarProcessOptions { Name = "demo-" + transport, FileName = "dotnet", ReadyTimeout = TimeSpan.FromSeconds(60) };
        options.Arguments.Add(DllPath);
        options.Arguments.Add("--transport");
        options.Arguments.Add(transport);
        _ = transport switch
        {
            "jsonl" => options.UseJsonLines(),
            "msgpack" => options.UseMessagePack(),
            "msgpack-unix" => options.UseMessagePack(SidecarCarrier.UnixSocket),
            "grpc" or "grpc-unix" => options.UseGrpc(),
            _ => throw new ArgumentOutOfRangeException(nameof(transport), transport, "not a transport of the demo sidecar"),
        };
        options.Callbacks.AddContract<IDemoEvents>(new RecordingEvents(confirm: true));
        return options;
    }
}

/// <summary>The parent's side of the callback contract, recording what the sidecar sent.</summary>
internal sealed class RecordingEvents(bool confirm) : IDemoEvents
{
    public readonly List<(string Task, int Percent)> Progress = [];
    public readonly List<string> Questions = [];

    void IDemoEvents.Progress(string task, int percent) { lock (Progress) Progress.Add((task, percent)); }

    public Task<bool> ConfirmAsync(string question, CancellationToken ct)
    {
        lock (Questions) Questions.Add(question);
        return Task.FromResult(confirm);
    }
}
