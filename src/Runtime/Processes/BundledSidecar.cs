using System.Text.Json;

namespace SidecarKit.Processes;

/// <summary>
/// Finds a .NET sidecar that the build put next to the app: a <c>&lt;SidecarProject Include="…" /&gt;</c> item in the
/// app's project file builds (and publishes) the sidecar project into <c>sidecars/&lt;Name&gt;/</c> under the app's
/// output, with a <c>sidecar.json</c> naming its entry assembly.
/// </summary>
public static class BundledSidecar
{
    /// <summary>The folder under the app's base directory that holds one folder per bundled sidecar.</summary>
    public const string FolderName = "sidecars";

    /// <summary>
    /// Runs the bundled sidecar <paramref name="name"/>: sets <see cref="SidecarProcessOptions.FileName"/> to its native
    /// executable (a NativeAOT or self-contained publish), or to the <c>dotnet</c> host with the sidecar's assembly put
    /// first in <see cref="SidecarProcessOptions.Arguments"/> (a framework-dependent build). Sets
    /// <see cref="SidecarProcessOptions.Name"/> to <paramref name="name"/> when it still has its default.
    /// </summary>
    /// <param name="options">The options to set.</param>
    /// <param name="name">The <c>Name</c> of the <c>SidecarProject</c> item (by default its project file's name without extension).</param>
    /// <param name="baseDirectory">Where the app's files are. Default <see cref="AppContext.BaseDirectory"/>.</param>
    /// <returns>The same options.</returns>
    /// <exception cref="FileNotFoundException">The sidecar is not there: what was looked for, and how to bundle it.</exception>
    public static SidecarProcessOptions UseBundledSidecar(this SidecarProcessOptions options, string name, string? baseDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.IndexOfAny(['/', '\\']) >= 0 || name is "." or "..")
            throw new ArgumentException($"'{name}' is not a bundled sidecar's name (the Name of a SidecarProject item, a folder under {FolderName}/).", nameof(name));
        (string fileName, string? assembly) = Locate(name, baseDirectory ?? AppContext.BaseDirectory);
        options.FileName = fileName;
        if (assembly is not null) options.Arguments.Insert(0, assembly);
        if (options.Name == SidecarProcessOptions.DefaultName) options.Name = name;
        return options;
    }

    /// <summary>
    /// The program to run for the bundled sidecar <paramref name="name"/> and, for a framework-dependent build, the
    /// assembly to pass it.
    /// </summary>
    internal static (string FileName, string? Assembly) Locate(string name, string baseDirectory)
    {
        string folder = Path.Combine(baseDirectory, FolderName, name);
        string manifest = Path.Combine(folder, "sidecar.json");
        if (!File.Exists(manifest))
        {
            string present = Directory.Exists(Path.Combine(baseDirectory, FolderName))
                ? string.Join(", ", Directory.GetDirectories(Path.Combine(baseDirectory, FolderName)).Select(Path.GetFileName).Order(StringComparer.Ordinal))
                : "";
            throw new FileNotFoundException(
                $"The bundled sidecar '{name}' is not in {folder} (no sidecar.json). " +
                (present.Length > 0 ? $"Bundled sidecars there: {present}. " : "") +
                $"Add <SidecarProject Include=\"path/to/{name}.csproj\" /> (or Name=\"{name}\" on it) to the app's project file and build it.",
                manifest);
        }

        string entry = ReadEntry(manifest);
        string assembly = Path.Combine(folder, entry + ".dll");
        string runtimeConfig = Path.Combine(folder, entry + ".runtimeconfig.json");
        // A framework-dependent build runs on the shared runtime through the dotnet host; its apphost (when there is one)
        // would need DOTNET_ROOT or a registered install to find that runtime, the host does not.
        if (File.Exists(assembly) && File.Exists(runtimeConfig) && IsFrameworkDependent(runtimeConfig))
            return (DotnetHost(), assembly);

        string native = Path.Combine(folder, OperatingSystem.IsWindows() ? entry + ".exe" : entry);
        if (File.Exists(native)) return (native, null);
        if (File.Exists(assembly)) return (DotnetHost(), assembly);
        throw new FileNotFoundException(
            $"The bundled sidecar '{name}' names its entry '{entry}', but neither {native} nor {assembly} exists: rebuild the app.", native);
    }

    private static string ReadEntry(string manifest)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(manifest));
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("entry", out JsonElement entry)
                && entry.ValueKind == JsonValueKind.String && entry.GetString() is { Length: > 0 } value
                && value.IndexOfAny(['/', '\\']) < 0)
                return value;
        }
        catch (JsonException) { }
        throw new InvalidDataException($"{manifest} is not a bundled sidecar's manifest ({{ \"entry\": \"<assembly name>\" }}): rebuild the app.");
    }

    // A self-contained build lists the frameworks it carries ("includedFrameworks"); a framework-dependent one the
    // frameworks it needs ("framework" or "frameworks").
    private static bool IsFrameworkDependent(string runtimeConfig)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(runtimeConfig));
            return document.RootElement.TryGetProperty("runtimeOptions", out JsonElement runtimeOptions)
                && (runtimeOptions.TryGetProperty("framework", out _) || runtimeOptions.TryGetProperty("frameworks", out _));
        }
        catch (JsonException) { return true; }
    }

    // The host that runs this app when it is one (dotnet app.dll), else the one the SDK names (dotnet run, dotnet test),
    // else dotnet on PATH.
    private static string DotnetHost()
    {
        string? current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet") return current;
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)) return host;
        return "dotnet";
    }
}
