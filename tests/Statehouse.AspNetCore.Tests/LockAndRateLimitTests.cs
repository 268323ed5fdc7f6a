using System.Threading.RateLimiting;
using Statehouse.Client;

namespace Statehouse.AspNetCore.Tests;

public sealed class LockAndRateLimitTests(StoreFixture store) : IClassFixture<StoreFixture>
{
    [Fact]
    public async Task Lock_IsExclusiveAcrossClients_TokensIncrease_AndTheFenceStopsAFormerHolder()
    {
        var clientA = store.NewClient();
        var clientB = store.NewClient();
        var a = new DistributedLockProvider(clientA, new DistributedLockOptions { LeaseTtl = TimeSpan.FromSeconds(2) });
        var b = new DistributedLockProvider(clientB, new DistributedLockOptions { LeaseTtl = TimeSpan.FromSeconds(2) });
        var first = await a.AcquireAsync("report", TimeSpan.FromSeconds(1));
        Assert.Null(await b.TryAcquireAsync("report"));
        await Assert.ThrowsAsync<TimeoutException>(() => b.AcquireAsync("report", TimeSpan.FromMilliseconds(300)));

        // The fence: a write guarded by the holder's token commits while it holds the lock...
        var guarded = await clientA.Txn().If(first.Fence).Then(Op.Put("report/out", "by-first")).CommitAsync();
        Assert.True(guarded.Succeeded);
        await first.DisposeAsync();

        var second = await b.AcquireAsync("report", TimeSpan.FromSeconds(2));
        Assert.True(second.FencingToken > first.FencingToken);

        // ...and not once the lock passed on: the former holder's late write is refused.
        var late = await clientA.Txn().If(first.Fence).Then(Op.Put("report/out", "late")).CommitAsync();
        Assert.False(late.Succeeded);
        Assert.Equal("by-first", (await clientA.GetAsync("report/out")).Entry!.ValueAsString());
        await second.DisposeAsync();
    }

    [Fact]
    public async Task Lock_OfAHolderThatStopsKeepingItAlive_Expires()
    {
        var client = store.NewClient();
        var provider = new DistributedLockProvider(client, new DistributedLockOptions { LeaseTtl = TimeSpan.FromSeconds(1) });
        var held = await provider.AcquireAsync("crash", TimeSpan.FromSeconds(1));
        await client.LeaseRevokeAsync(held.LeaseId); // as if the holder's process died and its lease ran out
        var next = await new DistributedLockProvider(store.NewClient()).AcquireAsync("crash", TimeSpan.FromSeconds(3));
        Assert.True(next.FencingToken > held.FencingToken);
        await next.DisposeAsync();
    }

    [Fact]
    public async Task FixedWindow_SharedAcrossInstances_AllowsExactlyTheLimit()
    {
        var options = new StatehouseRateLimiterOptions { Partition = "user-1-" + Guid.NewGuid().ToString("N"), PermitLimit = 10, Window = TimeSpan.FromMinutes(5) };
        var limiters = new[] { new StatehouseRateLimiter(store.NewClient(), options), new StatehouseRateLimiter(store.NewClient(), options) };
        var leases = await Task.WhenAll(Enumerable.Range(0, 25).Select(i => limiters[i % 2].AcquireAsync(1).AsTask()));
        Assert.Equal(10, leases.Count(l => l.IsAcquired));
        var rejected = leases.First(l => !l.IsAcquired);
        Assert.True(rejected.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) && retryAfter > TimeSpan.Zero);
        Assert.False(limiters[0].AttemptAcquire(1).IsAcquired); // needs a round trip: async only
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => limiters[0].AcquireAsync(11).AsTask());
    }

    [Fact]
    public async Task SlidingWindow_CountsThePreviousWindow()
    {
        var time = new ManualClock(DateTimeOffset.FromUnixTimeSeconds(1_000_000)); // a window boundary (window = 10 s)
        var options = new StatehouseRateLimiterOptions { Partition = "s-" + Guid.NewGuid().ToString("N"), PermitLimit = 10, Window = TimeSpan.FromSeconds(10), Kind = RateLimitWindow.Sliding, TimeProvider = time };
        var limiter = new StatehouseRateLimiter(store.NewClient(), options);
        for (var i = 0; i < 10; i++)
        {
            Assert.True((await limiter.AcquireAsync()).IsAcquired);
        }

        // 2 s into the next window: 80 % of the previous window's 10 still count, so only 2 more fit.
        time.Now += TimeSpan.FromSeconds(12);
        var granted = 0;
        for (var i = 0; i < 10; i++)
        {
            granted += (await limiter.AcquireAsync()).IsAcquired ? 1 : 0;
        }

        Assert.Equal(2, granted);

        // A fixed window would have allowed all 10 again.
        var fixedLimiter = new StatehouseRateLimiter(store.NewClient(), new StatehouseRateLimiterOptions { Partition = "f-" + Guid.NewGuid().ToString("N"), PermitLimit = 10, Window = TimeSpan.FromSeconds(10), TimeProvider = time });
        Assert.Equal(10, (await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => fixedLimiter.AcquireAsync().AsTask()))).Count(l => l.IsAcquired));
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
