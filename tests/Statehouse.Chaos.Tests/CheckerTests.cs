using Statehouse.Checking;

namespace Statehouse.Chaos.Tests;

/// <summary>Hand-made histories with known anomalies (each must be caught) and valid concurrent ones (each must pass).</summary>
public sealed class CheckerTests
{
    private static KvOperation W(int c, string v, long i, long r, string key = "k") => new(c, key, OpKind.Write, v, null, i, r, false);

    private static KvOperation R(int c, string? v, long i, long r, string key = "k") => new(c, key, OpKind.Read, null, null, i, r, false, ReadValue: v);

    private static KvOperation Cas(int c, string from, string to, bool ok, long i, long r) => new(c, "k", OpKind.CompareAndSet, to, from, i, r, false, Succeeded: ok);

    private static KvOperation A(int c, string v, long i, long r) => new(c, "k", OpKind.Append, v, null, i, r, false);

    private static Verdict Check(string? initial, params KvOperation[] ops) => LinearizabilityChecker.Check(ops, initial, TimeSpan.FromSeconds(10)).Verdict;

    [Fact]
    public void ConcurrentReads_MaySeeTheOldOrTheNewValue() =>
        Assert.Equal(Verdict.Linearizable, Check(null, W(1, "a", 0, 10), W(1, "b", 20, 40), R(2, "a", 21, 25), R(3, "b", 22, 30), R(2, "b", 41, 45)));

    [Fact]
    public void StaleRead_AfterTheWriteCompleted_IsCaught() =>
        Assert.Equal(Verdict.NotLinearizable, Check(null, W(1, "a", 0, 10), W(1, "b", 20, 30), R(2, "a", 31, 35)));

    [Fact]
    public void LostWrite_ReadOfTheInitialValueAfterAnAcknowledgedWrite_IsCaught() =>
        Assert.Equal(Verdict.NotLinearizable, Check(null, W(1, "a", 0, 10), R(2, null, 11, 12)));

    [Fact]
    public void NonMonotonicReads_AreCaught() =>
        Assert.Equal(Verdict.NotLinearizable, Check(null, W(1, "a", 0, 10), W(1, "b", 11, 50), R(2, "b", 12, 20), R(3, "a", 21, 30)));

    [Fact]
    public void DuplicateApply_OfAnAppend_IsCaught() =>
        Assert.Equal(Verdict.NotLinearizable, Check(string.Empty, A(1, "x", 0, 10), R(2, "xx", 11, 12)));

    [Fact]
    public void CompareAndSet_SucceedingOnAValueThatWasNotThere_IsCaught() =>
        Assert.Equal(Verdict.NotLinearizable, Check(null, W(1, "a", 0, 10), Cas(2, "z", "b", true, 11, 20)));

    [Fact]
    public void CompareAndSet_FailingAlthoughTheValueMatched_IsCaught() =>
        Assert.Equal(Verdict.NotLinearizable, Check(null, W(1, "a", 0, 10), Cas(2, "a", "b", false, 11, 20)));

    [Fact]
    public void UnknownWrite_MayTakeEffectLateOrNever()
    {
        var unknown = new KvOperation(1, "k", OpKind.Write, "u", null, 5, 0, Unknown: true);
        Assert.Equal(Verdict.Linearizable, Check(null, unknown, R(2, null, 10, 11), R(2, "u", 20, 21)));
        Assert.Equal(Verdict.Linearizable, Check(null, unknown, R(2, null, 10, 11)));

        // But it cannot take effect before it was invoked.
        Assert.Equal(Verdict.NotLinearizable, Check(null, R(2, "u", 0, 1), new KvOperation(1, "k", OpKind.Write, "u", null, 5, 0, Unknown: true)));
    }

    [Fact]
    public void Keys_AreCheckedIndependently_AndTheFailingKeyIsNamed()
    {
        var result = LinearizabilityChecker.Check(
            [W(1, "a", 0, 10, "x"), R(2, "a", 11, 12, "x"), W(1, "b", 0, 10, "y"), R(2, null, 11, 12, "y")],
            null,
            TimeSpan.FromSeconds(10));
        Assert.Equal(Verdict.NotLinearizable, result.Verdict);
        Assert.Equal("y", result.Key);
    }

    [Fact]
    public void ABudgetTooSmall_IsUnknown_NeverLinearizable()
    {
        // Many overlapping writes and reads of one key: a large search space.
        var ops = new List<KvOperation>();
        for (var i = 0; i < 300; i++)
        {
            ops.Add(W(i, $"v{i}", 0, 1_000));
        }

        for (var i = 0; i < 300; i++)
        {
            ops.Add(R(1000 + i, $"v{(i * 7) % 300}", 0, 1_000));
        }

        var result = LinearizabilityChecker.Check(ops, null, TimeSpan.Zero);
        Assert.Equal(Verdict.Unknown, result.Verdict);
    }

    [Fact]
    public void LargeValidHistory_TenClientsTenThousandOps_ChecksInSeconds()
    {
        var history = Simulate(clients: 10, operations: 10_000, keys: 20, seed: 7);
        var result = LinearizabilityChecker.Check(history, null, TimeSpan.FromSeconds(30));
        Assert.Equal(Verdict.Linearizable, result.Verdict);
        Assert.True(result.Elapsed < TimeSpan.FromSeconds(10), $"took {result.Elapsed}");
    }

    [Fact]
    public void LargeHistory_WithOneInjectedStaleRead_IsCaught()
    {
        var history = Simulate(clients: 10, operations: 10_000, keys: 20, seed: 11);

        // Turn one late read into a read of a value that key held long before (a stale read).
        var victim = history.Where(o => o.Kind == OpKind.Read && o.ReadValue is not null).Skip(500).First();
        var earlyValue = history.Where(o => o.Key == victim.Key && o.Kind == OpKind.Write && o.Returned < victim.Invoked - 50).First().Value;
        Assert.NotEqual(victim.ReadValue, earlyValue);
        history[history.IndexOf(victim)] = victim with { ReadValue = earlyValue };
        var result = LinearizabilityChecker.Check(history, null, TimeSpan.FromSeconds(30));
        Assert.Equal(Verdict.NotLinearizable, result.Verdict);
        Assert.Equal(victim.Key, result.Key);
    }

    /// <summary>
    /// A linearizable history by construction: each operation takes effect at a random instant inside its
    /// [invoke, return] interval on a real register per key; clients run one operation at a time.
    /// </summary>
    private static List<KvOperation> Simulate(int clients, int operations, int keys, int seed)
    {
        var random = new Random(seed);
        var state = new Dictionary<string, string?>();
        var clock = new long[clients];
        var events = new List<(long At, int Client, KvOperation Op)>();
        for (var i = 0; i < operations; i++)
        {
            var c = random.Next(clients);
            var invoke = clock[c] + random.Next(1, 5);
            var effect = invoke + random.Next(0, 20);
            var ret = effect + random.Next(0, 20);
            clock[c] = ret;
            var key = $"k{random.Next(keys)}";
            var op = random.Next(3) switch
            {
                0 => new KvOperation(c, key, OpKind.Read, null, null, invoke, ret, false),
                1 => new KvOperation(c, key, OpKind.Write, $"v{i}", null, invoke, ret, false),
                _ => new KvOperation(c, key, OpKind.CompareAndSet, $"v{i}", null, invoke, ret, false),
            };
            events.Add((effect, c, op));
        }

        // Apply in effect order to fill in what each operation observed.
        var result = new List<KvOperation>(operations);
        var seq = 0;
        foreach (var (at, _, op) in events.OrderBy(e => e.At).ThenBy(_ => seq++))
        {
            state.TryGetValue(op.Key, out var current);
            switch (op.Kind)
            {
                case OpKind.Read:
                    result.Add(op with { ReadValue = current });
                    break;
                case OpKind.Write:
                    state[op.Key] = op.Value;
                    result.Add(op);
                    break;
                default:
                    // Compare against the current value half the time (succeeds), else against a wrong one (fails).
                    var expected = random.Next(2) == 0 ? current : "nope";
                    var ok = expected == current;
                    if (ok)
                    {
                        state[op.Key] = op.Value;
                    }

                    result.Add(op with { Expected = expected, Succeeded = ok });
                    break;
            }
        }

        return result;
    }
}
