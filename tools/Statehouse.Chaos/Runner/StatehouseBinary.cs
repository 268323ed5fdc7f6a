namespace Statehouse.Chaos.Runner;

/// <summary>Where the lab finds the server it runs when not told: this repository's Release build of the CLI.</summary>
internal static class StatehouseBinary
{
    public static string Default()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Statehouse.sln")))
        {
            dir = dir.Parent;
        }

        return Path.Combine(dir?.FullName ?? ".", "src", "Statehouse.Cli", "bin", "Release", "net10.0", "statehouse.dll");
    }
}
