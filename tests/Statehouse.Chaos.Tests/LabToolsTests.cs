using Statehouse.Checking;
using Statehouse.Chaos.Formats;
using Statehouse.Chaos.Runner;
using Statehouse.Chaos.Workloads;

namespace Statehouse.Chaos.Tests;

/// <summary>The pieces of the lab around the checkers: shrinking, counter reads, history reading, the report.</summary>
public sealed class LabToolsTests
{
    private static KvOperation W(int c, string v, long i, long r) => new(c, "k", OpKind.Write, v, null, i, r, false);

    private static KvOperation R(int c, string? v, long i, long r) => new(c, "k", OpKind.Read, null, null, i, r, false, ReadValue: v);

    private static KvOperation Cas(int c, string from, string to, bool ok, long i, long r) => new(c, "k", OpKind.CompareAndSet, to, from, i, r, false, Succeeded: ok);

    [Fact]
    public void Shrink_KeepsTheWritesThatOthersObserved_SoTheWitnessIsGenuine()
    {
        // The violation is the stale read at the end. Dropping "write a" would make the swap itself fail — a different,
        // fake violation; the shrinker must not do that.
        var history = new List<KvOperation> { W(1, "a", 0, 10), Cas(2, "a", "b", true, 20, 30), R(3, "b", 35, 38), W(1, "c", 60, 70), R(3, "b", 80, 90) };
        Assert.Equal(Verdict.NotLinearizable, LinearizabilityChecker.Check(history, null, TimeSpan.FromSeconds(5)).Verdict);
        var shrunk = HistoryShrinker.Shrink(history, null, TimeSpan.FromSeconds(10));

        // Only the first read of b can go; the writes of a and b are observed, and c is what makes the last read stale.
        Assert.Equal([history[0], history[1], history[3], history[4]], shrunk);
    }

    [Fact]
    public void Shrink_AThousandOperationHistory_WithOneStaleRead_ToAFewOperations()
    {
        var random = new Random(3);
        var ops = new List<KvOperation>();
        long t = 0;
        string? value = null;
        for (var i = 0; i < 1000; i++)
        {
            if (random.Next(2) == 0)
            {
                value = $"v{i}";
                ops.Add(W(i % 5, value, t, t + 5));
            }
            else
            {
                ops.Add(R(i % 5, value, t, t + 5));
            }

            t += 10;
        }

        ops.Add(W(7, "new", t, t + 5));
        ops.Add(R(8, value, t + 10, t + 15));
        var shrunk = HistoryShrinker.Shrink(ops, null, TimeSpan.FromSeconds(30));
        Assert.Equal(Verdict.NotLinearizable, LinearizabilityChecker.Check(shrunk, null, TimeSpan.FromSeconds(5)).Verdict);
        Assert.True(shrunk.Count <= 4, $"shrunk to {shrunk.Count}: {string.Join(" | ", shrunk.Select(HistoryShrinker.Describe))}");
        Assert.Contains(shrunk, o => o.Value == "new");
    }

    [Fact]
    public void Checker_PointsAtTheOperationItCouldNotPlace()
    {
        var result = LinearizabilityChecker.Check([W(1, "a", 0, 10), W(1, "b", 20, 30), R(2, "a", 31, 35)], null, TimeSpan.FromSeconds(5));
        Assert.Equal(Verdict.NotLinearizable, result.Verdict);
        Assert.NotNull(result.Deepest);
        Assert.Equal("b", result.Deepest!.State);
        Assert.Equal(OpKind.Read, result.Deepest.Stuck.Kind);
    }

    [Fact]
    public void CompareAndSet_ThatFailedWithAnError_WasNeverEvaluated_AndConstrainsNothing()
    {
        string[] lines =
        [
            """{"client":1,"phase":"invoke","op":"write","key":"k","value":"a","timeNs":0}""",
            """{"client":1,"phase":"ok","op":"write","key":"k","timeNs":10}""",
            """{"client":2,"phase":"invoke","op":"cas","key":"k","value":"b","expected":"a","timeNs":20}""",
            """{"client":2,"phase":"fail","op":"cas","key":"k","timeNs":21,"error":"connection refused"}""",
        ];
        Assert.Equal(Verdict.Linearizable, LinearizabilityChecker.Check(JsonLinesHistory.Read(lines), null, TimeSpan.FromSeconds(5)).Verdict);

        // Without the error it was evaluated and refused although the value matched: caught.
        lines[3] = """{"client":2,"phase":"fail","op":"cas","key":"k","timeNs":21}""";
        Assert.Equal(Verdict.NotLinearizable, LinearizabilityChecker.Check(JsonLinesHistory.Read(lines), null, TimeSpan.FromSeconds(5)).Verdict);
    }

    private static (long, Outcome, long, long) Inc(long delta, Outcome outcome, long invoked, long returned) => (delta, outcome, invoked, returned);

    [Fact]
    public void CounterReads_WithinTheirWindows_Pass()
    {
        var increments = new[] { Inc(2, Outcome.Ok, 0, 10), Inc(3, Outcome.Unknown, 5, long.MaxValue), Inc(1, Outcome.Fail, 6, 7) };
        var reads = new[] { (2L, 11L, 12L), (5L, 13L, 14L), (5L, 20L, 21L), (0L, 1L, 2L) };
        Assert.Empty(CounterWorkload.CheckReads(increments, reads, []));
    }

    [Theory]
    [InlineData(1, "stale-counter-read")]      // below the 2 acknowledged before it began
    [InlineData(7, "counter-read-too-high")]   // above 2 + 3 begun before it ended (the failed 1 never counts)
    public void CounterReads_OutsideTheirWindow_AreCaught(long value, string kind)
    {
        var increments = new[] { Inc(2, Outcome.Ok, 0, 10), Inc(3, Outcome.Unknown, 5, long.MaxValue), Inc(1, Outcome.Fail, 6, 7) };
        var evidence = new List<string>();
        var anomaly = Assert.Single(CounterWorkload.CheckReads(increments, [(value, 11L, 12L)], evidence));
        Assert.Equal(kind, anomaly.Kind);
        Assert.NotEmpty(evidence);
    }

    [Fact]
    public void CounterReads_GoingBackInRealTime_AreCaught()
    {
        var increments = new[] { Inc(2, Outcome.Unknown, 0, long.MaxValue), Inc(3, Outcome.Unknown, 0, long.MaxValue) };
        var anomaly = Assert.Single(CounterWorkload.CheckReads(increments, [(5L, 10L, 20L), (2L, 30L, 40L)], []));
        Assert.Equal("counter-went-back", anomaly.Kind);

        // Overlapping reads may see either order.
        Assert.Empty(CounterWorkload.CheckReads(increments, [(5L, 10L, 35L), (2L, 30L, 40L)], []));
    }

    [Fact]
    public void Report_ShowsTheTable_TheAnomalies_TheWitness_AndTheSeed()
    {
        var settings = new RunSettings("statehouse.dll", 3, 4, 4, TimeSpan.FromSeconds(30), 77, TimeSpan.FromSeconds(3), ["kill", "bridge"], "/tmp/x", 26000, ["register", "bank"]);
        var results = new[]
        {
            new WorkloadResult("register", 100, 80, 15, 5, [new Anomaly("not-linearizable", "key r0")], true, "NotLinearizable", ["client 1 write a", "client 2 read → b"], "/tmp/x/history-register.jsonl"),
            new WorkloadResult("bank", 50, 50, 0, 0, [], true, "all sums 500", [], "/tmp/x/history-bank.jsonl"),
        };
        var faults = new[] { new FaultRecord("kill", "n1", 1000, 3000, null), new FaultRecord("bridge", "n1 | n3 via n2", 4000, 6000, null) };
        var report = LabRun.Report(settings, results, faults, converged: true, "n1=1:a n2=1:a n3=1:a", 30_000);
        Assert.Contains("seed 77", report, StringComparison.Ordinal);
        Assert.Contains("kill 1, bridge 1", report, StringComparison.Ordinal);
        Assert.Matches(@"register\s+100\s+80\s+15\s+5\s+1\s+ANOMALY", report);
        Assert.Matches(@"bank\s+50\s+50\s+0\s+0\s+0\s+ok", report);
        Assert.Contains("client 2 read → b", report, StringComparison.Ordinal);
        Assert.Contains("result: 1 anomaly (seed 77)", report, StringComparison.Ordinal);

        var diverged = LabRun.Report(settings, [results[1]], faults, converged: false, "n1=1:a n2=1:b", 30_000);
        Assert.Contains("replica-divergence", diverged, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadOfAValueWhoseWriteDefinitelyFailed_IsCaughtWithoutSearch()
    {
        // The write was answered "not applied" (so it is not in the history), yet a later read returns its value.
        var read = R(2, "ghost", 20, 30);
        var result = LinearizabilityChecker.Check([W(1, "a", 0, 10), read], null, TimeSpan.FromSeconds(5));
        Assert.Equal(Verdict.NotLinearizable, result.Verdict);
        Assert.Equal([read], result.Witness);

        // Written by an operation whose outcome is unknown: allowed, and no shortcut claims otherwise.
        var unknown = new KvOperation(1, "k", OpKind.Write, "ghost", null, 5, 0, Unknown: true);
        Assert.Equal(Verdict.Linearizable, LinearizabilityChecker.Check([W(1, "a", 0, 4), unknown, read], null, TimeSpan.FromSeconds(5)).Verdict);
    }

    [Fact]
    public void SearchBeyondItsMemoryBudget_IsUnknown_NeverLinearizable()
    {
        var ops = new List<KvOperation>();
        for (var i = 0; i < 5000; i++)
        {
            ops.Add(W(i % 4, $"v{i}", i * 10, (i * 10) + 5));
            ops.Add(R((i % 4) + 4, $"v{i}", (i * 10) + 6, (i * 10) + 8));
        }

        Assert.Equal(Verdict.Linearizable, LinearizabilityChecker.Check(ops, null, TimeSpan.FromSeconds(30)).Verdict);
        Assert.Equal(Verdict.Unknown, LinearizabilityChecker.Check(ops, null, TimeSpan.FromSeconds(30), memoryBudgetBytes: 1).Verdict);
    }
}
