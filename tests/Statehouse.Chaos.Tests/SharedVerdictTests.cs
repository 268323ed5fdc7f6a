using Statehouse.Checking;
using Statehouse.Chaos.Formats;

namespace Statehouse.Chaos.Tests;

/// <summary>Histories recorded by Jepsen against real systems, with published verdicts (shared/data/linearizability).</summary>
public sealed class SharedVerdictTests
{
    private static string DataDirectory
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Statehouse.sln")))
            {
                dir = dir.Parent;
            }

            var data = Path.Combine(dir?.Parent?.FullName ?? "/", "shared", "data", "linearizability");
            return Directory.Exists(data) ? data : throw new DirectoryNotFoundException($"The shared test vectors are expected beside the repository at {data}.");
        }
    }

    public static TheoryData<string, string> Jepsen() => Verdicts("jepsen-etcd");

    public static TheoryData<string, string> Kv() => Verdicts("kv");

    private static TheoryData<string, string> Verdicts(string folder)
    {
        var data = new TheoryData<string, string>();
        foreach (var line in File.ReadAllLines(Path.Combine(DataDirectory, folder, "verdicts.tsv")))
        {
            var parts = line.Split('\t');
            if (parts.Length == 2)
            {
                data.Add(parts[0], parts[1]);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Jepsen))]
    public void JepsenEtcdRegister_MatchesThePublishedVerdict(string file, string verdict)
    {
        var history = HistoryFormats.ReadJepsenRegister(File.ReadLines(Path.Combine(DataDirectory, "jepsen-etcd", file)));
        var result = LinearizabilityChecker.Check(history, null, TimeSpan.FromSeconds(30));
        Assert.Equal(verdict == "linearizable" ? Verdict.Linearizable : Verdict.NotLinearizable, result.Verdict);
    }

    [Theory]
    [MemberData(nameof(Kv))]
    public void EdnKv_MatchesThePublishedVerdict(string file, string verdict)
    {
        var history = HistoryFormats.ReadEdnKv(File.ReadLines(Path.Combine(DataDirectory, "kv", file)));
        var result = LinearizabilityChecker.Check(history, string.Empty, TimeSpan.FromSeconds(30));
        Assert.Equal(verdict == "linearizable" ? Verdict.Linearizable : Verdict.NotLinearizable, result.Verdict);
        if (result.Verdict == Verdict.NotLinearizable)
        {
            Assert.NotNull(result.Key);
            Assert.NotEmpty(result.FailingOperations);
        }
    }
}
