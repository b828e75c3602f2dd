using SidecarKit.Processes;

namespace SidecarKit.Runtime.Tests;

/// <summary>
/// How UseBundledSidecar reads what the SidecarProject targets leave in sidecars/&lt;Name&gt;/ (the targets themselves, the
/// build and the publish, are proven from the outside by tests/Consumer/run.sh and tests/Trimming/check.sh).
/// </summary>
public sealed class BundledSidecarTests : IDisposable
{
    private readonly string _app = Directory.CreateTempSubdirectory("sidecarkit-bundled-").FullName;

    public void Dispose() => Directory.Delete(_app, recursive: true);

    private string Folder(string name) => Directory.CreateDirectory(Path.Combine(_app, "sidecars", name)).FullName;

    private static void Write(string path, string text) => File.WriteAllText(path, text);

    [Fact]
    public void A_framework_dependent_build_runs_its_assembly_on_the_dotnet_host_before_the_given_arguments()
    {
        string folder = Folder("resizer");
        Write(Path.Combine(folder, "sidecar.json"), """{ "entry": "Acme.Resizer" }""");
        Write(Path.Combine(folder, "Acme.Resizer.dll"), "");
        Write(Path.Combine(folder, "Acme.Resizer"), ""); // the apphost, not used: it would need DOTNET_ROOT
        Write(Path.Combine(folder, "Acme.Resizer.runtimeconfig.json"),
            """{ "runtimeOptions": { "tfm": "net10.0", "framework": { "name": "Microsoft.NETCore.App", "version": "10.0.0" } } }""");

        var options = new SidecarProcessOptions();
        options.Arguments.Add("--transport");
        options.UseBundledSidecar("resizer", _app);

        Assert.Equal("dotnet", Path.GetFileNameWithoutExtension(options.FileName));
        Assert.Equal([Path.Combine(folder, "Acme.Resizer.dll"), "--transport"], options.Arguments);
        Assert.Equal("resizer", options.Name);
    }

    [Fact]
    public void A_native_or_self_contained_publish_runs_its_executable_and_a_given_name_is_kept()
    {
        string folder = Folder("ocr");
        Write(Path.Combine(folder, "sidecar.json"), """{ "entry": "Ocr" }""");
        Write(Path.Combine(folder, "Ocr"), "");
        var options = new SidecarProcessOptions { Name = "ocr-1" }.UseBundledSidecar("ocr", _app);
        Assert.Equal(Path.Combine(folder, "Ocr"), options.FileName);
        Assert.Empty(options.Arguments);
        Assert.Equal("ocr-1", options.Name);

        // Self-contained: the runtimeconfig lists the frameworks it carries, so the executable runs, not the host.
        Write(Path.Combine(folder, "Ocr.dll"), "");
        Write(Path.Combine(folder, "Ocr.runtimeconfig.json"),
            """{ "runtimeOptions": { "tfm": "net10.0", "includedFrameworks": [ { "name": "Microsoft.NETCore.App", "version": "10.0.0" } ] } }""");
        Assert.Equal(Path.Combine(folder, "Ocr"), new SidecarProcessOptions().UseBundledSidecar("ocr", _app).FileName);
    }

    [Fact]
    public void A_sidecar_that_is_not_bundled_is_an_error_that_lists_the_bundled_ones_and_says_how_to_bundle_it()
    {
        Folder("ocr");
        var e = Assert.Throws<FileNotFoundException>(() => new SidecarProcessOptions().UseBundledSidecar("resizer", _app));
        Assert.Contains("The bundled sidecar 'resizer' is not in", e.Message);
        Assert.Contains("Bundled sidecars there: ocr.", e.Message);
        Assert.Contains("<SidecarProject Include=\"path/to/resizer.csproj\" />", e.Message);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{ "entry": "" }""")]
    [InlineData("""{ "entry": "../../bin/sh" }""")]
    [InlineData("""[ "Ocr" ]""")]
    public void A_manifest_that_does_not_name_an_entry_in_its_folder_is_refused(string manifest)
    {
        Write(Path.Combine(Folder("ocr"), "sidecar.json"), manifest);
        var e = Assert.Throws<InvalidDataException>(() => new SidecarProcessOptions().UseBundledSidecar("ocr", _app));
        Assert.Contains("is not a bundled sidecar's manifest", e.Message);
    }

    [Fact]
    public void A_manifest_whose_entry_is_missing_says_to_rebuild()
    {
        Write(Path.Combine(Folder("ocr"), "sidecar.json"), """{ "entry": "Ocr" }""");
        var e = Assert.Throws<FileNotFoundException>(() => new SidecarProcessOptions().UseBundledSidecar("ocr", _app));
        Assert.Contains("names its entry 'Ocr', but neither", e.Message);
    }
}
