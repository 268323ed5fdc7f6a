using System.Text;

namespace Statehouse.Raft.Tests.Transcripts;

/// <summary>
/// Runs every testdata/*.txt transcript and compares each command's output with the file. With
/// <c>STATEHOUSE_REWRITE_TRANSCRIPTS=1</c> the files in the source tree are rewritten with what actually printed
/// (for authoring; every rewritten output must then be checked against the thesis by hand before it is committed).
/// </summary>
public sealed class TranscriptTests
{
    private const string RewriteVariable = "STATEHOUSE_REWRITE_TRANSCRIPTS";

    public static TheoryData<string> Transcripts()
    {
        var data = new TheoryData<string>();
        var folder = Environment.GetEnvironmentVariable(RewriteVariable) == "1" ? SourceTestdata() : Path.Combine(AppContext.BaseDirectory, "testdata");
        foreach (var path in Directory.GetFiles(folder, "*.txt").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileNameWithoutExtension(path));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Transcripts))]
    public void Transcript_PrintsWhatTheFileExpects_WhenReplayed(string name)
    {
        // Rewriting reads the source file, not the copy in the output folder, which may predate an edit.
        var rewrite = Environment.GetEnvironmentVariable(RewriteVariable) == "1";
        var path = Path.Combine(rewrite ? SourceTestdata() : Path.Combine(AppContext.BaseDirectory, "testdata"), name + ".txt");
        var file = TranscriptFile.Parse(File.ReadAllText(path));
        var env = new TranscriptEnv();
        var outputs = new List<string>();
        var failures = new StringBuilder();
        foreach (var step in file.Steps)
        {
            string actual;
            try
            {
                actual = env.Run(step.Text);
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                throw new InvalidOperationException($"{name}.txt:{step.Line}: '{step.Text}' threw: {e.Message}", e);
            }

            outputs.Add(actual);
            if (actual != step.Expected)
            {
                failures.Append(TranscriptDiff.Describe($"{name}.txt:{step.Line}: {step.Text}", step.Expected, actual));
            }
        }

        if (rewrite)
        {
            File.WriteAllText(path, file.Render(outputs));
            return;
        }

        Assert.True(failures.Length == 0, $"transcript {name} differs ({RewriteVariable}=1 rewrites it):\n{failures}");
    }

    private static string SourceTestdata()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Statehouse.Raft.Tests.csproj")))
            {
                return Path.Combine(dir.FullName, "testdata");
            }
        }

        throw new DirectoryNotFoundException("the test project's source folder (for rewriting transcripts)");
    }
}

/// <summary>A line diff of one command's expected and actual output (longest common subsequence).</summary>
internal static class TranscriptDiff
{
    public static string Describe(string where, string expected, string actual)
    {
        var a = expected.Split('\n');
        var b = actual.Split('\n');
        var lcs = new int[a.Length + 1, b.Length + 1];
        for (var i = a.Length - 1; i >= 0; i--)
        {
            for (var j = b.Length - 1; j >= 0; j--)
            {
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
            }
        }

        var text = new StringBuilder().Append("--- ").Append(where).Append('\n');
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y])
            {
                text.Append("  ").Append(a[x++]).Append('\n');
                y++;
            }
            else if (y < b.Length && (x == a.Length || lcs[x, y + 1] >= lcs[x + 1, y]))
            {
                text.Append("+ ").Append(b[y++]).Append('\n');
            }
            else
            {
                text.Append("- ").Append(a[x++]).Append('\n');
            }
        }

        return text.ToString();
    }
}
