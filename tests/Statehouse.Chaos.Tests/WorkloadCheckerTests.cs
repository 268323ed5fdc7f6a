using Statehouse.Checking;

namespace Statehouse.Chaos.Tests;

/// <summary>Each workload checker must catch its anomaly and pass valid outcomes.</summary>
public sealed class WorkloadCheckerTests
{
    [Fact]
    public void Counter_WithinAcknowledgedAndUnknown_Passes()
    {
        Assert.Empty(CounterChecker.Check([1, 2, 3], [5], initial: 10, finalValue: 16));
        Assert.Empty(CounterChecker.Check([1, 2, 3], [5], initial: 10, finalValue: 21));
    }

    [Fact]
    public void Counter_LostIncrement_AndDoubleApply_AreCaught()
    {
        Assert.Equal("lost-increment", Assert.Single(CounterChecker.Check([1, 2, 3], [], 0, 5)).Kind);
        Assert.Equal("phantom-increment", Assert.Single(CounterChecker.Check([1, 2, 3], [4], 0, 11)).Kind);
    }

    [Fact]
    public void Set_LostAcknowledgedElement_Phantom_AndDuplicate_AreCaught()
    {
        Assert.Empty(SetChecker.Check(["a", "b"], ["c"], ["a", "b"]));
        Assert.Empty(SetChecker.Check(["a", "b"], ["c"], ["a", "b", "c"]));
        Assert.Equal("lost-element", Assert.Single(SetChecker.Check(["a", "b"], [], ["a"])).Kind);
        Assert.Equal("phantom-element", Assert.Single(SetChecker.Check(["a"], [], ["a", "z"])).Kind);
        Assert.Equal("duplicate-element", Assert.Single(SetChecker.Check(["a"], [], ["a", "a"])).Kind);
    }

    private static readonly ChangeEvent[] Committed = [new(1, "a", "1"), new(2, "b", "2"), new(3, "a", "3"), new(4, "c", "4")];

    [Fact]
    public void Watch_ExactlyOnceInOrder_Passes_EvenAcrossAResume()
    {
        // Two connections: the second resumed from revision 3.
        Assert.Empty(WatchChecker.Check(Committed, [Committed[0], Committed[1], Committed[2], Committed[3]], 1, 4));
        Assert.Empty(WatchChecker.Check(Committed, [Committed[1], Committed[2]], 2, 3));
    }

    [Fact]
    public void Watch_Gap_Reorder_Duplicate_WrongValue_AndPhantom_AreCaught()
    {
        Assert.Contains(WatchChecker.Check(Committed, [Committed[0], Committed[2], Committed[3]], 1, 4), a => a.Kind == "watch-gap");
        Assert.Contains(WatchChecker.Check(Committed, [Committed[0], Committed[2], Committed[1], Committed[3]], 1, 4), a => a.Kind == "watch-reorder");
        Assert.Contains(WatchChecker.Check(Committed, [Committed[0], Committed[1], Committed[1], Committed[2], Committed[3]], 1, 4), a => a.Kind == "watch-duplicate");
        Assert.Contains(WatchChecker.Check(Committed, [Committed[0], new(2, "b", "x"), Committed[2], Committed[3]], 1, 4), a => a.Kind == "watch-wrong-value");
        Assert.Contains(WatchChecker.Check(Committed, [.. Committed, new(5, "z", "?")], 1, 4), a => a.Kind == "watch-phantom");
    }

    [Fact]
    public void Bank_ConservingReads_Pass_ANonConservingTransfer_AndANegativeBalance_AreCaught()
    {
        var good = new Dictionary<string, long> { ["a"] = 60, ["b"] = 40 };
        Assert.Empty(BankChecker.Check(100, [(good, 1)]));
        var partial = new Dictionary<string, long> { ["a"] = 50, ["b"] = 40 };
        Assert.Equal("bank-total", Assert.Single(BankChecker.Check(100, [(good, 1), (partial, 2)])).Kind);
        var negative = new Dictionary<string, long> { ["a"] = 110, ["b"] = -10 };
        Assert.Equal("bank-negative", Assert.Single(BankChecker.Check(100, [(negative, 3)])).Kind);
    }
}

public sealed class LeaseLockCheckerTests
{
    [Fact]
    public void WritesFencedByTheCurrentHolder_Pass() =>
        Assert.Empty(LeaseLockChecker.Check([10, 20], [(10, 11), (10, 15), (20, 21), (20, 30)]));

    [Fact]
    public void AStaleHolderWrite_AcceptedAfterANewAcquisition_IsCaught()
    {
        var anomalies = LeaseLockChecker.Check([10, 20], [(10, 11), (20, 21), (10, 25)]);
        Assert.Contains(anomalies, a => a.Kind == "stale-token-accepted");
        Assert.Contains(anomalies, a => a.Kind == "token-regressed");
    }

    [Fact]
    public void AWriteWithATokenNobodyWasGiven_IsCaught() =>
        Assert.Equal("unknown-token", Assert.Single(LeaseLockChecker.Check([10], [(15, 16)])).Kind);
}
