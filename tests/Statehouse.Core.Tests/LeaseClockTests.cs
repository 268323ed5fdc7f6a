using CsCheck;
using Statehouse.Core.Store;
using Statehouse.Core.Tests.Support;
using Xunit.Abstractions;

namespace Statehouse.Core.Tests;

/// <summary><see cref="LeaseClock"/>: deadlines, refresh, forget, reset, and the retry of unconfirmed expiries.</summary>
public sealed class LeaseClockTests(ITestOutputHelper output)
{
    [Fact]
    public void Expired_ReturnsLeasesInDeadlineOrder_WhenSeveralDeadlinesPassed()
    {
        var clock = new LeaseClock();
        clock.Track(1, 3, nowMs: 0);
        clock.Track(2, 1, nowMs: 0);
        clock.Track(3, 2, nowMs: 0);
        clock.Track(4, 9, nowMs: 0);

        Assert.Empty(clock.Expired(nowMs: 999, max: 10));
        Assert.Equal([2, 3, 1], clock.Expired(nowMs: 3_000, max: 10));
    }

    [Fact]
    public void Expired_ReturnsAtMostMax_WhenMoreLeasesExpired()
    {
        var clock = new LeaseClock();
        for (var id = 1; id <= 5; id++)
        {
            clock.Track(id, id, nowMs: 0);
        }

        Assert.Equal([1, 2], clock.Expired(nowMs: 10_000, max: 2));
        Assert.Equal([3, 4], clock.Expired(nowMs: 10_000, max: 2));
    }

    [Fact]
    public void Refresh_PostponesExpiryByFullTtl_WhenLeaseIsTracked()
    {
        var clock = new LeaseClock();
        clock.Track(1, 2, nowMs: 0);

        Assert.True(clock.Refresh(1, 2, nowMs: 1_500));

        Assert.Equal(2_000, clock.RemainingMs(1, nowMs: 1_500));
        Assert.Empty(clock.Expired(nowMs: 3_499, max: 10));
        Assert.Equal([1], clock.Expired(nowMs: 3_500, max: 10));
    }

    [Fact]
    public void Refresh_ReturnsFalse_WhenLeaseIsNotTracked()
    {
        var clock = new LeaseClock();

        Assert.False(clock.Refresh(7, 5, nowMs: 0));
        Assert.Equal(0, clock.Count);
        Assert.Null(clock.RemainingMs(7, nowMs: 0));
    }

    [Fact]
    public void Track_KeepsExistingDeadline_WhenLeaseAlreadyTracked()
    {
        var clock = new LeaseClock();
        clock.Track(1, 1, nowMs: 0);
        clock.Track(1, 100, nowMs: 500);

        Assert.Equal([1], clock.Expired(nowMs: 1_000, max: 10));
    }

    [Fact]
    public void Forget_PreventsExpiry_WhenDeadlinePasses()
    {
        var clock = new LeaseClock();
        clock.Track(1, 1, nowMs: 0);
        clock.Track(2, 1, nowMs: 0);

        clock.Forget(1);

        Assert.Equal([2], clock.Expired(nowMs: 5_000, max: 10));
        Assert.Equal(1, clock.Count);
    }

    [Fact]
    public void Expired_ReportsLeaseAgainAfterOneSecond_WhenNotForgotten()
    {
        var clock = new LeaseClock();
        clock.Track(1, 1, nowMs: 0);

        Assert.Equal([1], clock.Expired(nowMs: 1_000, max: 10));
        Assert.Empty(clock.Expired(nowMs: 1_999, max: 10));
        Assert.Equal([1], clock.Expired(nowMs: 2_000, max: 10));
    }

    [Fact]
    public void Reset_GivesEveryLeaseItsFullTtlFromNow_WhenLeaderChanges()
    {
        var clock = new LeaseClock();
        clock.Track(1, 10, nowMs: 0);
        clock.Track(2, 10, nowMs: 0);

        clock.Reset([(1, 10), (3, 5)], nowMs: 9_000);

        Assert.Equal(2, clock.Count);
        Assert.Null(clock.RemainingMs(2, nowMs: 9_000));
        Assert.Equal(10_000, clock.RemainingMs(1, nowMs: 9_000));
        Assert.Equal(5_000, clock.RemainingMs(3, nowMs: 9_000));
        Assert.Empty(clock.Expired(nowMs: 13_999, max: 10));
        Assert.Equal([3], clock.Expired(nowMs: 14_000, max: 10));
        clock.Forget(3);
        Assert.Equal([1], clock.Expired(nowMs: 19_000, max: 10));
    }

    // Was a bug at 0f15f7d: every Track/Refresh/Reset enqueued a new deadline and stale entries left the queue only when
    // their old deadline passed, so keep-alives in a loop on a long-TTL lease grew the leader's queue without bound.
    // Checked through the private queue because memory is the only symptom.
    [Fact]
    public void Refresh_KeepsQueueBounded_WhenOneLeaseIsRefreshedManyTimes()
    {
        var clock = new LeaseClock();
        clock.Track(1, 30 * 24 * 3600, nowMs: 0);

        for (var now = 1; now <= 10_000; now++)
        {
            clock.Refresh(1, 30 * 24 * 3600, now);
        }

        var queue = (PriorityQueue<long, long>)typeof(LeaseClock)
            .GetField("_queue", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!
            .GetValue(clock)!;
        Assert.True(queue.Count <= 16, $"{queue.Count} queued deadlines for 1 tracked lease");
    }

    [Fact]
    public void Expired_MatchesDeadlineModel_WhenOperationsInterleaveRandomly()
    {
        var op = Gen.Select(Gen.Int[0, 5], Gen.Long[1, 6], Gen.Long[1, 5], Gen.Long[0, 3_000], Gen.Int[1, 4]);
        op.Array[1, 80].Sample(
            ops =>
            {
                var clock = new LeaseClock();
                var model = new Dictionary<long, (long Deadline, long Ttl)>();
                long now = 0;
                foreach (var (kind, id, ttl, advance, max) in ops)
                {
                    now += advance;
                    switch (kind)
                    {
                        case 0:
                            clock.Track(id, ttl, now);
                            model.TryAdd(id, (now + (ttl * 1000), ttl));
                            break;
                        case 1:
                            Assert.Equal(model.ContainsKey(id), clock.Refresh(id, ttl, now));
                            if (model.ContainsKey(id))
                            {
                                model[id] = (now + (ttl * 1000), ttl);
                            }

                            break;
                        case 2:
                            clock.Forget(id);
                            model.Remove(id);
                            break;
                        case 3:
                            var leases = model.Keys.Where(k => k % 2 == id % 2).Select(k => (k, model[k].Ttl)).ToList();
                            clock.Reset(leases, now);
                            model = leases.ToDictionary(l => l.k, l => (now + (l.Ttl * 1000), l.Ttl));
                            break;
                        default:
                            var expired = clock.Expired(now, max);
                            var due = model.Where(kv => kv.Value.Deadline <= now).OrderBy(kv => kv.Value.Deadline).ToList();
                            Assert.Equal(Math.Min(max, due.Count), expired.Count);
                            Assert.All(expired, e => Assert.True(model[e].Deadline <= now));
                            Assert.Equal(expired.Select(e => model[e].Deadline).Order(), expired.Select(e => model[e].Deadline));
                            if (expired.Count > 0)
                            {
                                // Nothing left behind is due earlier than the last one returned.
                                var last = model[expired[^1]].Deadline;
                                Assert.All(due.Where(d => !expired.Contains(d.Key)), d => Assert.True(d.Value.Deadline >= last));
                            }

                            foreach (var e in expired)
                            {
                                model[e] = (now + 1000, model[e].Ttl);
                            }

                            break;
                    }

                    Assert.Equal(model.Count, clock.Count);
                    foreach (var (lease, (deadline, _)) in model)
                    {
                        Assert.Equal(Math.Max(0, deadline - now), clock.RemainingMs(lease, now));
                    }
                }
            },
            writeLine: output.WriteLine,
            seed: PropertyRuns.Seed,
            iter: PropertyRuns.Iterations(500));
    }
}
