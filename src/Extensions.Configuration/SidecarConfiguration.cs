using Microsoft.Extensions.Configuration;
using SidecarKit.Probes;
using SidecarKit.Processes;
using SidecarKit.Supervision;

namespace SidecarKit.Configuration;

/// <summary>One sidecar read from configuration, ready to supervise.</summary>
/// <param name="Name">Its name: the key of its section (<c>ollama</c> for <c>Sidecars:ollama</c>).</param>
/// <param name="Key">The full key of its section, for messages (<c>Sidecars:ollama</c>).</param>
/// <param name="Settings">What was declared.</param>
/// <param name="Options">The options translated from it: give them to a <see cref="SidecarSupervisor"/>.</param>
public sealed record SidecarDeclaration(string Name, string Key, SidecarSettings Settings, SidecarSupervisorOptions Options)
{
    /// <summary>Whether it starts on its first call rather than with the host (<see cref="SidecarSettings.StartOnDemand"/>).</summary>
    public bool StartOnDemand => Settings.StartOnDemand ?? false;
}

/// <summary>
/// Reads sidecars declared in configuration (the schema: docs/lifecycle.md, "Sidecars declared in configuration"),
/// validates them, and translates them into <see cref="SidecarSupervisorOptions"/>. Needs no host and no container:
/// SidecarKit.Extensions.Hosting's <c>AddSidecarsFromConfiguration</c> and a plain <c>Main</c> use the same methods.
/// Every error names the full key that is wrong (<c>Sidecars:ollama:Readiness:Kind: unknown probe kind 'htp' …</c>).
/// </summary>
public static class SidecarConfiguration
{
    /// <summary>The conventional name of the section that holds the sidecars: <c>Sidecars</c>.</summary>
    public const string DefaultSectionName = "Sidecars";

    /// <summary>
    /// Reads every sidecar declared under <paramref name="sidecars"/> (each child section is one, named by its key), skips
    /// those with <c>Enabled: false</c>, and translates the others. The order is the configuration's (keys sorted).
    /// </summary>
    /// <exception cref="SidecarConfigurationException">Some declaration is wrong; it lists every wrong key of every sidecar.</exception>
    public static IReadOnlyList<SidecarDeclaration> Load(IConfiguration sidecars, SidecarConfigurationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(sidecars);
        options ??= new SidecarConfigurationOptions();
        var errors = new List<SidecarConfigurationError>();
        var declarations = new List<SidecarDeclaration>();
        foreach (IConfigurationSection section in sidecars.GetChildren())
        {
            int before = errors.Count;
            SidecarSettings? settings = Read(section, options, errors);
            if (settings is null || settings.Enabled == false) continue;
            var target = new SidecarSupervisorOptions();
            Translate(section.Key, settings, target, options, section.Path, errors);
            if (errors.Count == before) declarations.Add(new SidecarDeclaration(section.Key, section.Path, settings, target));
        }
        if (errors.Count > 0) throw new SidecarConfigurationException(errors);
        return declarations;
    }

    /// <summary>Binds one sidecar's section (<c>Sidecars:&lt;name&gt;</c>) to its settings, without translating them.</summary>
    /// <exception cref="SidecarConfigurationException">A key no setting reads (with <see cref="SidecarConfigurationOptions.ErrorOnUnknownKeys"/>), or a value of the wrong type.</exception>
    public static SidecarSettings Bind(IConfigurationSection sidecar, SidecarConfigurationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(sidecar);
        var errors = new List<SidecarConfigurationError>();
        SidecarSettings? settings = Read(sidecar, options ?? new SidecarConfigurationOptions(), errors);
        return errors.Count > 0 || settings is null ? throw new SidecarConfigurationException(errors) : settings;
    }

    /// <summary>Binds one sidecar's section and applies it to <paramref name="target"/> (named by the section's key).</summary>
    /// <exception cref="SidecarConfigurationException">Every wrong key of this sidecar.</exception>
    public static void Apply(IConfigurationSection sidecar, SidecarSupervisorOptions target, SidecarConfigurationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(sidecar);
        ArgumentNullException.ThrowIfNull(target);
        options ??= new SidecarConfigurationOptions();
        var errors = new List<SidecarConfigurationError>();
        SidecarSettings? settings = Read(sidecar, options, errors);
        if (settings is not null) Translate(sidecar.Key, settings, target, options, sidecar.Path, errors);
        if (errors.Count > 0) throw new SidecarConfigurationException(errors);
    }

    /// <summary>
    /// Applies declared <paramref name="settings"/> to <paramref name="target"/>: what is declared replaces the default,
    /// what is absent is left as it is. <paramref name="key"/> prefixes the keys in errors (default: <paramref name="name"/>).
    /// </summary>
    /// <exception cref="SidecarConfigurationException">Every wrong key of this sidecar.</exception>
    public static void Apply(string name, SidecarSettings settings, SidecarSupervisorOptions target,
        SidecarConfigurationOptions? options = null, string? key = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(target);
        var errors = new List<SidecarConfigurationError>();
        Translate(name, settings, target, options ?? new SidecarConfigurationOptions(), key ?? name, errors);
        if (errors.Count > 0) throw new SidecarConfigurationException(errors);
    }

    // ---- binding ----

    private static SidecarSettings? Read(IConfigurationSection section, SidecarConfigurationOptions options, List<SidecarConfigurationError> errors)
    {
        int before = errors.Count;
        if (options.ErrorOnUnknownKeys) CheckKeys(section, s_sidecarKeys, errors);
        if (errors.Count > before) return null;
        var settings = new SidecarSettings();
        try
        {
            section.Bind(settings);
        }
        catch (InvalidOperationException e)
        {
            errors.Add(BinderError(section.Path, e));
            return null;
        }
        return settings;
    }

    // The binder says "Failed to convert configuration value at 'Sidecars:x:Readiness:Port' to type 'System.Int32'.":
    // the key is taken from there, the value's problem from the inner exception.
    private static SidecarConfigurationError BinderError(string sectionPath, InvalidOperationException e)
    {
        const string At = " at '", To = "' to type '";
        int at = e.Message.IndexOf(At, StringComparison.Ordinal);
        int to = at < 0 ? -1 : e.Message.IndexOf(To, at, StringComparison.Ordinal);
        if (at < 0 || to < 0) return new SidecarConfigurationError(sectionPath, e.Message);
        string key = e.Message[(at + At.Length)..to];
        string type = e.Message[(to + To.Length)..].TrimEnd('.', '\'');
        type = type switch
        {
            "System.TimeSpan" => "a duration (hh:mm:ss, for example 00:00:05)",
            "System.Int32" => "a whole number",
            "System.Double" => "a number",
            "System.Boolean" => "true or false",
            _ => type,
        };
        return new SidecarConfigurationError(key, $"is not {type}" + (e.InnerException is { } inner ? $": {inner.Message}" : ""));
    }

    private static readonly string[] s_probeKeys =
    [
        nameof(SidecarProbeSettings.Kind), nameof(SidecarProbeSettings.Pattern), nameof(SidecarProbeSettings.Stream),
        nameof(SidecarProbeSettings.Host), nameof(SidecarProbeSettings.Port), nameof(SidecarProbeSettings.Url),
        nameof(SidecarProbeSettings.Path), nameof(SidecarProbeSettings.Address), nameof(SidecarProbeSettings.Service),
    ];

    private static readonly KeySet s_sidecarKeys = new(
        [
            nameof(SidecarSettings.Command), nameof(SidecarSettings.CommandVariable), nameof(SidecarSettings.InheritEnv),
            nameof(SidecarSettings.WorkingDirectory), nameof(SidecarSettings.Transport), nameof(SidecarSettings.ReadyTimeout),
            nameof(SidecarSettings.ShutdownTimeout), nameof(SidecarSettings.WaitForReadyTimeout),
            nameof(SidecarSettings.StartOnDemand), nameof(SidecarSettings.Enabled), nameof(SidecarSettings.KillOnParentDeath),
            nameof(SidecarSettings.ContractCompatibility), nameof(SidecarSettings.RequireCallbacks),
        ],
        Lists: [nameof(SidecarSettings.Args), nameof(SidecarSettings.Candidates), nameof(SidecarSettings.AllowedEnv)],
        Maps: [nameof(SidecarSettings.Env)],
        Sections: new Dictionary<string, KeySet>(StringComparer.OrdinalIgnoreCase)
        {
            [nameof(SidecarSettings.Readiness)] = new([.. s_probeKeys, nameof(SidecarReadinessSettings.Period), nameof(SidecarReadinessSettings.AttemptTimeout)]),
            [nameof(SidecarSettings.Liveness)] = new([.. s_probeKeys, nameof(SidecarLivenessSettings.Enabled), nameof(SidecarLivenessSettings.Interval),
                nameof(SidecarLivenessSettings.Timeout), nameof(SidecarLivenessSettings.FailureThreshold), nameof(SidecarLivenessSettings.InitialDelay)]),
            [nameof(SidecarSettings.Restart)] = new([nameof(SidecarRestartSettings.Policy), nameof(SidecarRestartSettings.InitialDelay),
                nameof(SidecarRestartSettings.Multiplier), nameof(SidecarRestartSettings.MaxDelay), nameof(SidecarRestartSettings.Jitter),
                nameof(SidecarRestartSettings.ResetAfter), nameof(SidecarRestartSettings.MaxRestarts), nameof(SidecarRestartSettings.IntensityWindow)]),
            [nameof(SidecarSettings.Stop)] = new([nameof(SidecarStopSettings.Signal), nameof(SidecarStopSettings.CloseStdin), nameof(SidecarStopSettings.Timeout)],
                Lists: [nameof(SidecarStopSettings.Command)]),
            [nameof(SidecarSettings.Prepare)] = new([nameof(SidecarCommandSettings.Timeout), nameof(SidecarCommandSettings.WorkingDirectory)],
                Lists: [nameof(SidecarCommandSettings.Command)]),
        });

    /// <summary>The keys one level of a declaration may have: values, lists (children 0, 1, …), maps (any children), sections.</summary>
    private sealed record KeySet(string[] Values, string[]? Lists = null, string[]? Maps = null, Dictionary<string, KeySet>? Sections = null)
    {
        public IEnumerable<string> All => Values.Concat(Lists ?? []).Concat(Maps ?? []).Concat(Sections?.Keys ?? (IEnumerable<string>)[]);
    }

    private static void CheckKeys(IConfigurationSection section, KeySet keys, List<SidecarConfigurationError> errors)
    {
        foreach (IConfigurationSection child in section.GetChildren())
        {
            bool hasChildren = child.GetChildren().Any();
            if (keys.Values.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                if (hasChildren) errors.Add(new(child.Path, "is a single value, not a section"));
            }
            else if (keys.Lists?.Contains(child.Key, StringComparer.OrdinalIgnoreCase) == true)
            {
                // A list is written as an array (children 0, 1, …); a lone string is not split (there is no shell).
                if (!string.IsNullOrEmpty(child.Value))
                    errors.Add(new(child.Path, $"is a list: write an array ([\"…\", \"…\"], or keys {child.Key}:0, {child.Key}:1, …), not a single value"));
                foreach (IConfigurationSection item in child.GetChildren())
                    if (!int.TryParse(item.Key, out _)) errors.Add(new(item.Path, "is not an index of the list (0, 1, …)"));
            }
            else if (keys.Maps?.Contains(child.Key, StringComparer.OrdinalIgnoreCase) == true)
            {
                if (!string.IsNullOrEmpty(child.Value)) errors.Add(new(child.Path, "is a map of names to values, not a single value"));
            }
            else if (keys.Sections is not null && keys.Sections.TryGetValue(child.Key, out KeySet? nested))
            {
                if (!string.IsNullOrEmpty(child.Value)) errors.Add(new(child.Path, "is a section (with keys such as " + string.Join(", ", nested.All.Take(3)) + "), not a single value"));
                CheckKeys(child, nested, errors);
            }
            else
            {
                errors.Add(new(child.Path, $"unknown key (known: {string.Join(", ", keys.All)})"));
            }
        }
    }

    // ---- translation ----

    private static void Translate(string name, SidecarSettings s, SidecarSupervisorOptions target, SidecarConfigurationOptions options,
        string key, List<SidecarConfigurationError> errors)
    {
        int before = errors.Count;
        void Error(string subKey, string message) => errors.Add(new SidecarConfigurationError(key + ":" + subKey, message));

        SidecarProcessOptions p = target.Process;
        p.Name = name;

        if (!string.IsNullOrWhiteSpace(s.Command)) p.FileName = s.Command;
        else if (s.Candidates.Count == 0) Error(nameof(s.Command), "is missing (or give Candidates)");
        for (int i = 0; i < s.Candidates.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(s.Candidates[i])) Error($"{nameof(s.Candidates)}:{i}", "is empty");
            else p.FileNameCandidates.Add(s.Candidates[i]);
        }
        foreach (string argument in s.Args) p.Arguments.Add(argument ?? "");
        if (!string.IsNullOrEmpty(s.CommandVariable)) p.FileNameVariable = s.CommandVariable;
        foreach (KeyValuePair<string, string> variable in s.Env) p.Environment[variable.Key] = variable.Value ?? "";
        if (s.InheritEnv is bool inherit) p.InheritEnvironment = inherit;
        foreach (string allowed in s.AllowedEnv) p.AllowedEnvironmentVariables.Add(allowed);
        if (!string.IsNullOrEmpty(s.WorkingDirectory)) p.WorkingDirectory = s.WorkingDirectory;
        if (s.KillOnParentDeath is bool kill) p.KillOnParentDeath = kill;
        if (s.RequireCallbacks is bool requireCallbacks) p.RequireCallbacks = requireCallbacks;
        if (!string.IsNullOrEmpty(s.ContractCompatibility))
        {
            switch (s.ContractCompatibility.ToLowerInvariant())
            {
                case "compatible": p.ContractCompatibility = ContractCompatibility.Compatible; break;
                case "exact": p.ContractCompatibility = ContractCompatibility.Exact; break;
                case "none": p.ContractCompatibility = ContractCompatibility.None; break;
                default: Error(nameof(s.ContractCompatibility), $"unknown contract compatibility '{s.ContractCompatibility}' (known: compatible, exact, none)"); break;
            }
        }

        if (!string.IsNullOrEmpty(s.Transport))
        {
            if (!options.Transports.TryGetValue(s.Transport, out Action<SidecarProcessOptions>? useTransport))
                Error(nameof(s.Transport), $"unknown transport '{s.Transport}' (known: {Known(options.Transports.Keys)}; absent for a plain program)");
            else
                useTransport(p);
        }

        if (Positive(s.ReadyTimeout, nameof(s.ReadyTimeout)) is TimeSpan ready) p.ReadyTimeout = ready;
        if (Positive(s.ShutdownTimeout, nameof(s.ShutdownTimeout)) is TimeSpan shutdown) p.ShutdownTimeout = shutdown;
        if (Positive(s.WaitForReadyTimeout, nameof(s.WaitForReadyTimeout)) is TimeSpan waitForReady) target.WaitForReadyTimeout = waitForReady;

        if (s.Readiness is { } readiness)
        {
            const string R = nameof(s.Readiness);
            if (Probe(readiness, R) is { } probe) p.Readiness = probe;
            if (Positive(readiness.Period, R + ":" + nameof(readiness.Period)) is TimeSpan period) p.ReadinessPeriod = period;
            if (Positive(readiness.AttemptTimeout, R + ":" + nameof(readiness.AttemptTimeout)) is TimeSpan attempt) p.ReadinessAttemptTimeout = attempt;
        }

        if (s.Liveness is { } liveness)
        {
            const string L = nameof(s.Liveness);
            SidecarHealthCheckOptions health = target.HealthCheck;
            if (liveness.Enabled is bool enabled) health.Enabled = enabled;
            if (Probe(liveness, L) is { } probe) health.Probe = probe;
            if (Positive(liveness.Interval, L + ":" + nameof(liveness.Interval)) is TimeSpan interval) health.Interval = interval;
            if (Positive(liveness.Timeout, L + ":" + nameof(liveness.Timeout)) is TimeSpan timeout) health.Timeout = timeout;
            if (NotNegative(liveness.InitialDelay, L + ":" + nameof(liveness.InitialDelay)) is TimeSpan delay) health.InitialDelay = delay;
            if (liveness.FailureThreshold is int threshold)
            {
                if (threshold < 1) Error(L + ":" + nameof(liveness.FailureThreshold), $"must be at least 1 (was {threshold})");
                else health.FailureThreshold = threshold;
            }
        }

        if (s.Restart is { } restart)
        {
            const string RS = nameof(s.Restart);
            SidecarRestartOptions r = target.Restart;
            if (!string.IsNullOrEmpty(restart.Policy))
            {
                switch (restart.Policy.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal).ToLowerInvariant())
                {
                    case "always": r.Policy = RestartPolicy.Always; break;
                    case "onfailure": r.Policy = RestartPolicy.OnFailure; break;
                    case "never": r.Policy = RestartPolicy.Never; break;
                    default: Error(RS + ":" + nameof(restart.Policy), $"unknown restart policy '{restart.Policy}' (known: always, on-failure, never)"); break;
                }
            }
            if (NotNegative(restart.InitialDelay, RS + ":" + nameof(restart.InitialDelay)) is TimeSpan initial) r.InitialDelay = initial;
            if (NotNegative(restart.MaxDelay, RS + ":" + nameof(restart.MaxDelay)) is TimeSpan max) r.MaxDelay = max;
            if (r.MaxDelay < r.InitialDelay) Error(RS + ":" + nameof(restart.MaxDelay), $"must not be shorter than InitialDelay ({r.MaxDelay} < {r.InitialDelay})");
            if (NotNegative(restart.ResetAfter, RS + ":" + nameof(restart.ResetAfter)) is TimeSpan reset) r.ResetAfter = reset;
            if (Positive(restart.IntensityWindow, RS + ":" + nameof(restart.IntensityWindow)) is TimeSpan window) r.IntensityWindow = window;
            if (restart.Multiplier is double multiplier)
            {
                if (!(multiplier >= 1) || double.IsInfinity(multiplier)) Error(RS + ":" + nameof(restart.Multiplier), $"must be at least 1 (was {multiplier})");
                else r.Multiplier = multiplier;
            }
            if (restart.Jitter is double jitter)
            {
                if (!(jitter is >= 0 and <= 1)) Error(RS + ":" + nameof(restart.Jitter), $"must be between 0 and 1 (was {jitter})");
                else r.Jitter = jitter;
            }
            if (restart.MaxRestarts is int maxRestarts)
            {
                if (maxRestarts < 0) Error(RS + ":" + nameof(restart.MaxRestarts), $"must not be negative (was {maxRestarts})");
                else r.MaxRestarts = maxRestarts;
            }
        }

        if (s.Stop is { } stop)
        {
            const string S = nameof(s.Stop);
            TimeSpan? stopTimeout = Positive(stop.Timeout, S + ":" + nameof(stop.Timeout));
            int given = (string.IsNullOrEmpty(stop.Signal) ? 0 : 1) + (stop.CloseStdin == true ? 1 : 0) + (stop.Command.Count > 0 ? 1 : 0);
            if (given > 1)
                Error(S, "give one of Signal, CloseStdin or Command, not several");
            else if (!string.IsNullOrEmpty(stop.Signal))
            {
                if (ParseSignal(stop.Signal) is int signal) p.Stop = SidecarStop.Signal(signal);
                else Error(S + ":" + nameof(stop.Signal), $"unknown signal '{stop.Signal}' (a name: SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGKILL; or a number 1..31)");
            }
            else if (stop.CloseStdin == true)
                p.Stop = SidecarStop.CloseStandardInput;
            else if (stop.Command.Count > 0 && Command(stop.Command, S + ":" + nameof(stop.Command)) is { } command)
            {
                command.Timeout = stopTimeout ?? p.ShutdownTimeout;
                p.Stop = SidecarStop.Command(command);
            }
        }

        if (s.Prepare is { } prepare)
        {
            const string P = nameof(s.Prepare);
            TimeSpan? timeout = Positive(prepare.Timeout, P + ":" + nameof(prepare.Timeout));
            if (prepare.Command.Count == 0) Error(P + ":" + nameof(prepare.Command), "is missing (the program, then its arguments)");
            else if (Command(prepare.Command, P + ":" + nameof(prepare.Command)) is { } command)
            {
                if (timeout is TimeSpan t) command.Timeout = t;
                if (!string.IsNullOrEmpty(prepare.WorkingDirectory)) command.WorkingDirectory = prepare.WorkingDirectory;
                p.Prepare = command;
            }
        }

        if (errors.Count == before) options.PostConfigure?.Invoke(target);

        TimeSpan? Positive(TimeSpan? value, string subKey)
        {
            if (value is not TimeSpan v) return null;
            if (v > TimeSpan.Zero) return v;
            Error(subKey, $"must be positive (was {v})");
            return null;
        }

        TimeSpan? NotNegative(TimeSpan? value, string subKey)
        {
            if (value is not TimeSpan v) return null;
            if (v >= TimeSpan.Zero) return v;
            Error(subKey, $"must not be negative (was {v})");
            return null;
        }

        SidecarCommand? Command(IList<string> command, string subKey)
        {
            if (string.IsNullOrWhiteSpace(command[0]))
            {
                Error(subKey + ":0", "is empty (the program to run)");
                return null;
            }
            return new SidecarCommand(command[0], [.. command.Skip(1).Select(a => a ?? "")]);
        }

        SidecarProbe? Probe(SidecarProbeSettings settings, string subKey)
        {
            if (string.IsNullOrEmpty(settings.Kind)) return null;
            if (!options.ProbeKinds.TryGetValue(settings.Kind, out Func<SidecarProbeSettings, SidecarProbe>? create))
            {
                Error(subKey + ":" + nameof(settings.Kind), $"unknown probe kind '{settings.Kind}' (known: {Known(options.ProbeKinds.Keys)})");
                return null;
            }
            try
            {
                return create(settings);
            }
            catch (ArgumentException e)
            {
                // A factory names the setting it rejects by the exception's parameter name: the setting's own name, or
                // the probe factory's parameter (url, pattern, port, …), which is the same word in another case.
                string? setting = e.ParamName is { Length: > 0 } param ? s_probeKeys.FirstOrDefault(k => k.Equals(param, StringComparison.OrdinalIgnoreCase)) : null;
                string message = e.Message;
                int parameter = message.LastIndexOf(" (Parameter '", StringComparison.Ordinal);
                if (parameter >= 0) message = message[..parameter];
                Error(setting is null ? subKey : subKey + ":" + setting, message);
                return null;
            }
        }
    }

    private static string Known(IEnumerable<string> names) => string.Join(", ", names);

    private static int? ParseSignal(string text)
    {
        string s = text.Trim();
        if (int.TryParse(s, out int number)) return number is >= 1 and <= 31 ? number : null;
        s = s.ToUpperInvariant();
        if (s.StartsWith("SIG", StringComparison.Ordinal)) s = s[3..];
        return s switch
        {
            "HUP" => 1,
            "INT" => 2,
            "QUIT" => 3,
            "KILL" => 9,
            "USR1" => 10,
            "USR2" => 12,
            "TERM" => 15,
            _ => null,
        };
    }
}
