namespace Statehouse.Raft.Tests.Transcripts;

/// <summary>The interpreter itself: the file layout, the diff, and that mistakes in a transcript fail loudly.</summary>
public sealed class TranscriptFileTests
{
    private const string Text = "# a comment\nadd-nodes 1\n----\nn1: voters [n1]\n\n# another\nraft-state\n----\nline 1\nline 2\n";

    [Fact]
    public void Render_ReproducesTheFile_WhenGivenItsOwnOutputs()
    {
        var file = TranscriptFile.Parse(Text);

        Assert.Equal(2, file.Steps.Count);
        Assert.Equal(7, file.Steps[1].Line);
        Assert.Equal(Text, file.Render(file.Steps.Select(s => s.Expected).ToArray()));
    }

    [Fact]
    public void Parse_Throws_WhenACommandHasNoSeparator() =>
        Assert.Throws<FormatException>(() => TranscriptFile.Parse("campaign 1\nstabilize\n"));

    [Fact]
    public void Describe_MarksMissingAndUnexpectedLines()
    {
        var diff = TranscriptDiff.Describe("x.txt:1: cmd", "a\nb\nc", "a\nc\nd");

        Assert.Contains("- b\n", diff, StringComparison.Ordinal);
        Assert.Contains("+ d\n", diff, StringComparison.Ordinal);
        Assert.Contains("  a\n", diff, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_Throws_WhenACommandHasAnUnknownOption()
    {
        var env = new TranscriptEnv();
        env.Run("add-nodes 3");

        Assert.Throws<FormatException>(() => env.Run("stabilize quite=true"));
        Assert.Throws<FormatException>(() => env.Run("no-such-command"));
    }

    [Fact]
    public void Run_PrintsTheSameOutput_OnEveryRun()
    {
        static string Once()
        {
            var env = new TranscriptEnv();
            return string.Join('\n', new[] { "add-nodes 3", "tick count=40 stabilize=true", "raft-state" }.Select(env.Run));
        }

        Assert.Equal(Once(), Once());
    }
}
