using SidecarKit.Probes;
using SidecarKit.Processes;
using SidecarKit.Supervision;
using SidecarKit.Transports.JsonLines;

namespace SidecarKit.Configuration;

/// <summary>
/// What a declaration in configuration may name: the probe kinds and transports, by name, and a last step applied to
/// every sidecar's options. Names are compared ignoring case.
/// </summary>
/// <remarks>
/// Where registrations live: this package references the JSON lines transport (the package named <c>SidecarKit</c>,
/// which every SidecarKit application has) and the runtime, so <c>jsonl</c>, <c>jsonrpc</c> and the runtime's probe kinds
/// are built in. MessagePack and gRPC are registered by the application, one line each
/// (<c>options.Transports["msgpack"] = p =&gt; p.UseMessagePack();</c>,
/// <c>options.ProbeKinds["grpc-health"] = s =&gt; GrpcHealthProbe.Serving(s.Address!, s.Service ?? "")</c>), so that
/// neither transport package depends on Microsoft.Extensions.Configuration, nor this one on MessagePack or ASP.NET Core:
/// each application pays only for the transports it uses.
/// </remarks>
public sealed class SidecarConfigurationOptions
{
    /// <summary>
    /// The probe kinds, by the name written as <c>Kind</c>: each makes a probe from its settings. Built in: <c>started</c>,
    /// <c>output</c>, <c>tcp</c>, <c>http</c>, <c>unix</c>. A factory reports a bad setting by throwing an
    /// <see cref="ArgumentException"/> whose <see cref="ArgumentException.ParamName"/> is the setting's name (for example
    /// <c>nameof(SidecarProbeSettings.Address)</c>): the error then names that key.
    /// </summary>
    public IDictionary<string, Func<SidecarProbeSettings, SidecarProbe>> ProbeKinds { get; } =
        new Dictionary<string, Func<SidecarProbeSettings, SidecarProbe>>(StringComparer.OrdinalIgnoreCase)
        {
            ["started"] = _ => SidecarProbe.Started(),
            ["output"] = s => SidecarProbe.OutputLine(Required(s.Pattern, nameof(s.Pattern)), ParseStream(s.Stream)),
            ["tcp"] = s => SidecarProbe.Tcp(string.IsNullOrEmpty(s.Host) ? "127.0.0.1" : s.Host, s.Port ?? throw Missing(nameof(s.Port))),
            ["http"] = s => SidecarProbe.Http(Required(s.Url, nameof(s.Url))),
            ["unix"] = s => SidecarProbe.UnixSocket(Required(s.Path, nameof(s.Path))),
        };

    /// <summary>
    /// The transports, by the name written as <c>Transport</c>: each sets up the process options to speak it. Built in:
    /// <c>jsonl</c> (<c>UseJsonLines()</c>) and <c>jsonrpc</c> (<c>UseJsonRpc()</c>, Content-Length framing).
    /// </summary>
    public IDictionary<string, Action<SidecarProcessOptions>> Transports { get; } =
        new Dictionary<string, Action<SidecarProcessOptions>>(StringComparer.OrdinalIgnoreCase)
        {
            ["jsonl"] = p => p.UseJsonLines(),
            ["jsonrpc"] = p => p.UseJsonRpc(),
        };

    /// <summary>
    /// Applied to every sidecar's options after its declaration, for what configuration cannot express (callbacks, a
    /// logger factory, a clock). Default: none.
    /// </summary>
    public Action<SidecarSupervisorOptions>? PostConfigure { get; set; }

    /// <summary>
    /// Whether a key that no setting reads (a typo such as <c>Readyness</c>) is an error. Default <see langword="true"/>:
    /// a misspelt setting would otherwise be silently ignored.
    /// </summary>
    public bool ErrorOnUnknownKeys { get; set; } = true;

    private static string Required(string? value, string name) => string.IsNullOrEmpty(value) ? throw Missing(name) : value;

    private static ArgumentException Missing(string name) => new("is missing", name);

    private static SidecarOutputStream? ParseStream(string? stream) => stream?.Trim().ToLowerInvariant() switch
    {
        null or "" or "any" or "either" => null,
        "stdout" or "out" or "standardoutput" => SidecarOutputStream.StandardOutput,
        "stderr" or "err" or "standarderror" => SidecarOutputStream.StandardError,
        _ => throw new ArgumentException($"unknown stream '{stream}' (known: stdout, stderr; absent for either)", nameof(SidecarProbeSettings.Stream)),
    };
}
