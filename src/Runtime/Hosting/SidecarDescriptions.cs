namespace SidecarKit.Hosting;

/// <summary>One file of a contract description (<c>--describe &lt;format&gt; --output &lt;dir&gt;</c>).</summary>
/// <param name="Name">The file's name, without a directory (<c>demo.proto</c>).</param>
/// <param name="Text">Its content.</param>
public sealed record SidecarDescriptionFile(string Name, string Text);

/// <summary>
/// The description formats a host knows (<c>--describe</c>): each a text printed on stdout and, for <c>--output</c>,
/// the files it is made of. Both see the served contracts and the callback contracts the sidecar calls on its parent.
/// </summary>
internal sealed class SidecarDescriptions(
    Dictionary<string, Func<IReadOnlyList<ContractDescriptor>, IReadOnlyList<ContractDescriptor>, string>> texts,
    Dictionary<string, Func<IReadOnlyList<ContractDescriptor>, IReadOnlyList<ContractDescriptor>, IReadOnlyList<SidecarDescriptionFile>>> files)
{
    public IEnumerable<string> Formats => texts.Keys.Order(StringComparer.Ordinal);

    public bool Knows(string format) => texts.ContainsKey(format);

    public string Text(string format, IReadOnlyList<ContractDescriptor> contracts, IReadOnlyList<ContractDescriptor> callbacks)
        => texts[format](contracts, callbacks);

    /// <summary>Writes the format's files into <paramref name="directory"/> (created if needed); returns their paths.</summary>
    public IReadOnlyList<string> Write(string format, string directory, IReadOnlyList<ContractDescriptor> contracts, IReadOnlyList<ContractDescriptor> callbacks)
    {
        IReadOnlyList<SidecarDescriptionFile> written = files.TryGetValue(format, out var make)
            ? make(contracts, callbacks)
            : [new SidecarDescriptionFile(string.Join("_", contracts.Select(c => c.Name)) + Extension(format), Text(format, contracts, callbacks) + "\n")];
        Directory.CreateDirectory(directory);
        var paths = new List<string>(written.Count);
        foreach (SidecarDescriptionFile file in written)
        {
            string path = Path.Combine(directory, file.Name);
            File.WriteAllText(path, file.Text);
            paths.Add(path);
        }
        return paths;
    }

    private static string Extension(string format) => format switch
    {
        "json" => ".json",
        "openrpc" => ".openrpc.json",
        _ => "." + format,
    };
}
