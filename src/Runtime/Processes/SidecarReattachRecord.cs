using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace SidecarKit.Processes;

/// <summary>
/// What a parent needs to find a detached sidecar again after it restarted (go-plugin's <c>ReattachConfig</c>): the
/// process, where it listens, the token it admits and the instance that was started. Saved as a small JSON file, private
/// to the user (it holds the token), by <c>SidecarReattach.StartOrReattachAsync</c>; see docs/deployment.md.
/// </summary>
/// <param name="Name">The sidecar's name.</param>
/// <param name="Pid">Its process id.</param>
/// <param name="InstanceId">The instance id it announced when ready: a reattach refuses any other instance.</param>
/// <param name="Transport">The transport it serves (<c>grpc</c>, <c>grpc-unix</c>); informational, may be empty.</param>
/// <param name="Address">Where it listens (its <c>listenInfo</c>: <c>host:port</c> or a Unix socket's path).</param>
/// <param name="Token">The token its connections must present; <see langword="null"/> when it admits any.</param>
public sealed record SidecarReattachRecord(string Name, int Pid, string InstanceId, string Transport, string Address, string? Token)
{
    /// <summary>The record as JSON (<c>{"name":…,"pid":…,"instanceId":…,"transport":…,"address":…,"token":…}</c>).</summary>
    public string ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("name", Name);
            w.WriteNumber("pid", Pid);
            w.WriteString("instanceId", InstanceId);
            w.WriteString("transport", Transport);
            w.WriteString("address", Address);
            if (Token is null) w.WriteNull("token");
            else w.WriteString("token", Token);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Reads a record written by <see cref="ToJson"/>.</summary>
    /// <exception cref="FormatException">The text is not such a record.</exception>
    public static SidecarReattachRecord Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using JsonDocument document = JsonDocument.Parse(json);
            JsonElement root = document.RootElement;
            string Required(string name) => root.GetProperty(name).GetString() is { Length: > 0 } value
                ? value : throw new FormatException($"'{name}' is empty.");
            int pid = root.GetProperty("pid").GetInt32();
            if (pid <= 0) throw new FormatException($"'pid' is {pid.ToString(CultureInfo.InvariantCulture)}.");
            string? token = root.TryGetProperty("token", out JsonElement t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            string transport = root.TryGetProperty("transport", out JsonElement tr) && tr.ValueKind == JsonValueKind.String ? tr.GetString()! : "";
            return new SidecarReattachRecord(Required("name"), pid, Required("instanceId"), transport, Required("address"), token);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw new FormatException($"Not a reattach record: {e.Message}", e);
        }
    }

    /// <summary>
    /// Writes the record to <paramref name="path"/> atomically (a temporary file renamed over it), readable and writable
    /// by this user only.
    /// </summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        // A fresh name, created new: nothing planted at a guessable name (a link, a file with looser permissions) is written through.
        string temporary = full + ".tmp-" + System.Security.Cryptography.RandomNumberGenerator.GetHexString(16, lowercase: true);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var file = new StreamWriter(temporary, System.Text.Encoding.UTF8, options))
            file.Write(ToJson());
        File.Move(temporary, full, overwrite: true);
    }

    /// <summary>The record saved at <paramref name="path"/>, or <see langword="null"/> when there is none.</summary>
    /// <exception cref="FormatException">The file is not a reattach record.</exception>
    public static SidecarReattachRecord? Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return null; }
        return Parse(text);
    }

    /// <summary>The record of a sidecar started with <see cref="SidecarProcessOptions.Detached"/> that is ready.</summary>
    /// <exception cref="InvalidOperationException">It announced no instance id or no address (not a socket transport).</exception>
    public static SidecarReattachRecord From(SidecarProcess sidecar)
    {
        ArgumentNullException.ThrowIfNull(sidecar);
        SidecarReadyInfo ready = sidecar.ReadyInfo;
        return new SidecarReattachRecord(sidecar.Name, sidecar.ProcessId,
            ready.InstanceId ?? throw new InvalidOperationException($"The sidecar '{sidecar.Name}' announced no instance id: it cannot be told from another one at its address."),
            ready.Transport ?? "", 
            ready.ListenInfo ?? throw new InvalidOperationException($"The sidecar '{sidecar.Name}' announced no address (listenInfo): only a socket transport can be reattached to."),
            sidecar.Token);
    }

    /// <summary>
    /// Whether the recorded process still runs as the sidecar this record describes: it exists, is not a zombie, and
    /// (on Linux, where its start environment can be read) was started detached (<see cref="SidecarProcess.DetachedVariable"/>)
    /// with this record's token, so a recycled pid, or another process given the same token, is never taken for it.
    /// </summary>
    public bool IsProcessRunning() => RunsDetached(Pid, Token);

    /// <summary>The check of <see cref="IsProcessRunning"/> for any pid and token (an attachment's stop uses it too).</summary>
    internal static bool RunsDetached(int pid, string? token)
    {
        if (!Interop.Posix.IsRunning(pid)) return false;
        if (!OperatingSystem.IsLinux()) return true;
        try
        {
            // NUL-separated "NAME=value" entries, compared whole.
            string[] entries = System.Text.Encoding.UTF8.GetString(File.ReadAllBytes($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/environ")).Split('\0');
            return entries.Contains(SidecarProcess.DetachedVariable + "=1", StringComparer.Ordinal)
                && (token is null || entries.Contains(SidecarProcess.TokenVariable + "=" + token, StringComparer.Ordinal));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>The record without its token, for logs.</summary>
    public override string ToString() => $"{Name} (pid {Pid}, instance {InstanceId}, {Transport} at {Address})";
}
