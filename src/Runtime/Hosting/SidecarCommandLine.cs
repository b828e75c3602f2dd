using Microsoft.Extensions.Logging;

namespace SidecarKit.Hosting;

/// <summary>The standard sidecar flags. Parsing never throws: problems are reported by <see cref="Error"/>.</summary>
internal sealed class SidecarCommandLine
{
    public bool Help { get; private set; }
    public string? Describe { get; private set; }
    public string? Output { get; private set; }
    public string? Error { get; private set; }

    public static SidecarCommandLine Parse(string[] args, SidecarHostOptions options)
    {
        var result = new SidecarCommandLine();
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            string? inline = null;
            int eq = arg.IndexOf('=');
            if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 0)
            {
                inline = arg[(eq + 1)..];
                arg = arg[..eq];
            }
            string? Value()
            {
                if (inline is not null) return inline.Length > 0 ? inline : null;   // "--output=" names nothing
                if (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal)) return args[++i];
                return null;
            }
            switch (arg)
            {
                case "-h" or "--help":
                    result.Help = true;
                    break;
                case "--quiet-ready":
                    options.QuietReady = true;
                    break;
                case "--detached":
                    options.Detached = true;
                    break;
                case "--transport":
                    options.Transport = Value() ?? Fail(result, "--transport needs a value (for example --transport jsonl).") ?? options.Transport;
                    break;
                case "--listen":
                    options.Listen = Value() ?? Fail(result, "--listen needs a socket path or pipe name.");
                    break;
                case "--describe":
                    result.Describe = Value() ?? "json";
                    break;
                case "--tls-cert":
                    options.Tls.CertificatePath = Value() ?? Fail(result, "--tls-cert needs the server certificate's PEM file.");
                    break;
                case "--tls-key":
                    options.Tls.KeyPath = Value() ?? Fail(result, "--tls-key needs the private key's PEM file.");
                    break;
                case "--tls-client-ca":
                    options.Tls.ClientCertificateAuthorityPath = Value() ?? Fail(result, "--tls-client-ca needs the client certificates' CA as a PEM file.");
                    break;
                case "--health-port":
                {
                    string? port = Value();
                    if (int.TryParse(port, out int number) && number is > 0 and <= 65535) options.HealthPort = number;
                    else Fail(result, $"--health-port takes a TCP port (1 to 65535); got '{port}'.");
                    break;
                }
                case "--output":
                    result.Output = Value() ?? Fail(result, "--output needs a directory (for example --describe proto --output protos).");
                    break;
                case "--log-level":
                {
                    string? level = Value();
                    if (level is not null && TryParseLevel(level, out LogLevel parsed)) options.LogLevel = parsed;
                    else Fail(result, $"--log-level takes trace, debug, information, warning, error, critical or none; got '{level}'.");
                    break;
                }
                default:
                    Fail(result, $"Unknown option '{args[i]}'. Run with --help for the options.");
                    break;
            }
        }
        if ((options.Tls.KeyPath is not null || options.Tls.ClientCertificateAuthorityPath is not null) && options.Tls.CertificatePath is null)
            Fail(result, "--tls-key and --tls-client-ca go with --tls-cert: TLS needs the server's certificate.");
        if (result.Output is not null && result.Describe is null) Fail(result, "--output goes with --describe: it names the directory the description's files are written to.");
        return result;
    }

    private static string? Fail(SidecarCommandLine result, string message)
    {
        result.Error ??= message;
        return null;
    }

    private static bool TryParseLevel(string text, out LogLevel level)
    {
        switch (text.ToLowerInvariant())
        {
            case "trace": level = LogLevel.Trace; return true;
            case "debug": level = LogLevel.Debug; return true;
            case "info" or "information": level = LogLevel.Information; return true;
            case "warn" or "warning": level = LogLevel.Warning; return true;
            case "error": level = LogLevel.Error; return true;
            case "critical": level = LogLevel.Critical; return true;
            case "none": level = LogLevel.None; return true;
            default: level = default; return false;
        }
    }
}
