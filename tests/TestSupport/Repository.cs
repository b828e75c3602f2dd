namespace SidecarKit.Tests.Support;

/// <summary>Where the repository and its built programs are, seen from a test assembly.</summary>
public static class Repository
{
    /// <summary>The folder holding Toolkit.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The demo sidecar's DLL, built in the same configuration as the running tests.</summary>
    public static string DemoSidecarDll
    {
        get
        {
            string config = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/<Configuration>/net10.0/
            string path = Path.Combine(Root, "samples", "Demo", "Sidecar", "bin", config, "net10.0", "SidecarKit.Samples.Demo.Sidecar.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException("The demo sidecar is not built: " + path);
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Toolkit.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("Toolkit.sln not found above " + AppContext.BaseDirectory);
    }
}
