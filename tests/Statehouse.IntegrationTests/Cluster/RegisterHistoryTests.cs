namespace Statehouse.IntegrationTests.Cluster;

/// <summary>The history checker must catch what it claims to: known-good and known-bad histories.</summary>
public sealed class RegisterHistoryTests
{
    private static RegisterOp W(string value, long revision, long start, long end, long? expected = null) =>
        new("k", true, value, revision, start, end) { Expected = expected };

    private static RegisterOp R(string? value, long revision, long start, long end) => new("k", false, value, revision, start, end);

    private static IReadOnlyList<string> Check(params RegisterOp[] ops)
    {
        var history = new RegisterHistory();
        foreach (var op in ops)
        {
            history.Add(op);
        }

        return history.Check();
    }

    [Fact]
    public void AcceptsALinearizableHistory_WithConcurrentReadsSeeingEitherValue()
    {
        Assert.Empty(Check(
            W("a", 1, 0, 10),
            R("a", 1, 11, 12),
            W("b", 2, 13, 30),
            R("a", 1, 14, 15),   // concurrent with the write of b: may see a
            R("b", 2, 16, 20),   // or b
            R("b", 2, 31, 32),
            W("c", 3, 33, 40, expected: 2)));
    }

    [Fact]
    public void RejectsAStaleRead_AfterAWriteFinished()
    {
        var problems = Check(W("a", 1, 0, 10), W("b", 2, 11, 20), R("a", 1, 21, 22));
        Assert.Contains(problems, p => p.Contains("stale", StringComparison.Ordinal));
    }

    [Fact]
    public void RejectsANotFoundRead_AfterAWriteFinished()
    {
        Assert.NotEmpty(Check(W("a", 1, 0, 10), R(null, 0, 11, 12)));
    }

    [Fact]
    public void RejectsAReadOfAValueTheWriteAtThatRevisionDidNotWrite()
    {
        var problems = Check(W("a", 1, 0, 10), R("z", 1, 11, 12));
        Assert.Contains(problems, p => p.Contains("but that write wrote", StringComparison.Ordinal));
    }

    [Fact]
    public void RejectsTwoAcknowledgedWritesWithOneRevision()
    {
        Assert.NotEmpty(Check(W("a", 1, 0, 10), W("b", 1, 0, 10)));
    }

    [Fact]
    public void RejectsACompareAndSetThatSkippedAWrite()
    {
        var problems = Check(W("a", 1, 0, 10), W("b", 2, 0, 10), W("c", 3, 11, 20, expected: 1));
        Assert.Contains(problems, p => p.Contains("compare-and-set", StringComparison.Ordinal));
    }

    [Fact]
    public void RejectsAWriteOrderedBeforeOneThatFinishedEarlier()
    {
        Assert.NotEmpty(Check(W("a", 5, 0, 10), W("b", 4, 11, 20)));
    }
}
