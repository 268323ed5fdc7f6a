using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Statehouse.Client;
using Statehouse.Core;

namespace Statehouse.AspNetCore.Tests;

public sealed class DistributedCacheTests(StoreFixture store) : IClassFixture<StoreFixture>
{
    private StatehouseDistributedCache Cache(string prefix) =>
        new(store.NewClient(), Options.Create(new StatehouseCacheOptions { KeyPrefix = prefix, MaxValueBytes = 1024 }));

    [Fact]
    public async Task SetGetRemove_RoundTrip_AndMissingIsNull()
    {
        var cache = Cache("c1/");
        Assert.Null(await cache.GetAsync("nothing"));
        await cache.SetAsync("k", [1, 2, 3], new DistributedCacheEntryOptions());
        Assert.Equal([1, 2, 3], await cache.GetAsync("k"));
        await cache.RemoveAsync("k");
        await cache.RemoveAsync("k"); // idempotent
        Assert.Null(await cache.GetAsync("k"));
    }

    [Fact]
    public async Task AbsoluteExpiration_EntryIsGoneAfterIt()
    {
        var cache = Cache("c2/");
        await cache.SetAsync("k", [7], new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMilliseconds(900) });
        Assert.Equal([7], await cache.GetAsync("k"));
        await Task.Delay(1000);
        Assert.Null(await cache.GetAsync("k")); // past its expiry: not returned even before the store's TTL removes it
        await Task.Delay(1500);
        var raw = await store.NewClient().GetAsync("c2/k");
        Assert.False(raw.Found); // and the store removed it
    }

    [Fact]
    public async Task SlidingExpiration_ReadsKeepItAlive_IdleLetsItGo()
    {
        var cache = Cache("c3/");
        await cache.SetAsync("k", [9], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromSeconds(2) });
        for (var i = 0; i < 4; i++)
        {
            await Task.Delay(1000);
            Assert.Equal([9], await cache.GetAsync("k")); // 4 s in all: alive because each read slides it
        }

        await Task.Delay(3500);
        Assert.Null(await cache.GetAsync("k"));
    }

    [Fact]
    public async Task SlidingWithAnAbsoluteLimit_NeverOutlivesTheLimit()
    {
        var cache = Cache("c4/");
        await cache.SetAsync("k", [5], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromSeconds(2), AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(3) });
        await Task.Delay(1500);
        await cache.RefreshAsync("k");
        await Task.Delay(1000);
        Assert.Equal([5], await cache.GetAsync("k")); // 2.5 s: the refresh slid it
        await Task.Delay(2000);
        Assert.Null(await cache.GetAsync("k")); // 4.5 s: past the absolute limit whatever the sliding window says
    }

    [Fact]
    public async Task BadInput_IsRefusedClearly_AndWritesNothing()
    {
        var cache = Cache("c5/");
        var tooLarge = await Assert.ThrowsAsync<ArgumentException>(() => cache.SetAsync("k", new byte[2048], new DistributedCacheEntryOptions()));
        Assert.Contains("MaxValueBytes", tooLarge.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => cache.SetAsync("k", [1], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.Zero }));
        Assert.Null(await cache.GetAsync("k"));
    }

    [Fact]
    public void Envelope_RoundTrips_AndRejectsForeignValues()
    {
        var packed = CacheEnvelope.Pack(new CacheEnvelope(1234, 5000), [1, 2]);
        Assert.Equal(CacheEnvelope.HeaderBytes + 2, packed.Length);
        Assert.True(CacheEnvelope.TryUnpack(packed, out var header, out var value));
        Assert.Equal(new CacheEnvelope(1234, 5000), header);
        Assert.Equal([1, 2], value.ToArray());
        var longPacked = CacheEnvelope.Pack(new CacheEnvelope(1234, 0, 999), [3]);
        Assert.Equal(CacheEnvelope.LongHeaderBytes + 1, longPacked.Length);
        Assert.True(CacheEnvelope.TryUnpack(longPacked, out var longHeader, out var longValue));
        Assert.Equal(new CacheEnvelope(1234, 0, 999), longHeader);
        Assert.Equal([3], longValue.ToArray());
        Assert.False(CacheEnvelope.TryUnpack("hello"u8.ToArray(), out _, out _));
        Assert.False(CacheEnvelope.TryUnpack(longPacked.AsMemory(0, CacheEnvelope.HeaderBytes), out _, out _)); // a cut long header
        Assert.Equal(TimeSpan.FromSeconds(2), CacheEnvelope.StoreTtl(TimeSpan.FromMilliseconds(1100)));
        Assert.Equal(TimeSpan.FromSeconds(1), CacheEnvelope.StoreTtl(TimeSpan.FromMilliseconds(10)));
        Assert.Equal(TimeSpan.FromMilliseconds(200), new CacheEnvelope(1200, 5000).LeaseAt(1000, Cap)); // sliding cut at the absolute limit
        Assert.Equal(TimeSpan.FromMilliseconds(6000), new CacheEnvelope(0, 5000).LeaseAt(1000, Cap)); // window + 1 s slack
        Assert.Equal(TimeSpan.FromMinutes(21), new CacheEnvelope(0, 20 * 60_000).LeaseAt(1000, Cap)); // a tenth, at most 1 min
        Assert.Equal(TimeSpan.FromMilliseconds(Cap), new CacheEnvelope(0, 60L * 86_400_000).LeaseAt(1000, Cap)); // never past the cap
        Assert.Null(new CacheEnvelope(0, 0).LeaseAt(1000, Cap));
        Assert.True(new CacheEnvelope(1000, 0).IsExpiredAt(1000));
        Assert.False(new CacheEnvelope(0, 0).IsExpiredAt(long.MaxValue));
    }

    [Fact]
    public void Envelope_LongAbsoluteEntry_RemembersItsLease_AndAsksForARearmAfterHalfOfIt()
    {
        var far = new CacheEnvelope(AbsoluteExpiryUnixMs: 100 * Day, SlidingMs: 0);
        var armed = far.WithLease(0, far.LeaseAt(0, Cap));
        Assert.Equal(30 * Day, armed.LeaseUntilUnixMs);
        Assert.False(armed.NeedsRearmAt(15 * Day - 1, Cap));
        Assert.True(armed.NeedsRearmAt(15 * Day + 1, Cap));

        // Covered by its lease, or kept alive by its sliding window: no lease end to remember.
        Assert.Equal(0, new CacheEnvelope(10 * Day, 0).WithLease(0, TimeSpan.FromDays(10)).LeaseUntilUnixMs);
        Assert.Equal(0, new CacheEnvelope(100 * Day, 5000).WithLease(0, TimeSpan.FromDays(30)).LeaseUntilUnixMs);
    }

    private const long Day = 86_400_000;
    private const long Cap = 30 * Day;

    [Fact]
    public async Task LongExpirations_AreStored_WithALeaseOfAtMostTheCap()
    {
        // Was a bug: every expiration past 30 days asked the node for a longer lease than it grants and threw InvalidArgument.
        var cache = Cache("c6/");
        var client = store.NewClient();
        var cases = new Dictionary<string, DistributedCacheEntryOptions>
        {
            ["relative-1000-days"] = new() { AbsoluteExpirationRelativeToNow = TimeSpan.FromDays(1000) },
            ["absolute-2-years"] = new() { AbsoluteExpiration = DateTimeOffset.UtcNow.AddYears(2) },
            ["absolute-max"] = new() { AbsoluteExpiration = DateTimeOffset.MaxValue },
            ["relative-max"] = new() { AbsoluteExpirationRelativeToNow = TimeSpan.MaxValue },
            ["sliding-60-days"] = new() { SlidingExpiration = TimeSpan.FromDays(60) },
            ["sliding-60-days-absolute-2-years"] = new() { SlidingExpiration = TimeSpan.FromDays(60), AbsoluteExpiration = DateTimeOffset.UtcNow.AddYears(2) },
        };
        foreach (var (key, options) in cases)
        {
            await cache.SetAsync(key, [4, 2], options);
            Assert.Equal([4, 2], await cache.GetAsync(key));
            await cache.RefreshAsync(key);
            var raw = (await client.GetAsync("c6/" + key)).Entry!;
            Assert.NotEqual(0, raw.Lease); // bounded: the store still removes it if nothing re-arms it
            var lease = await client.LeaseTimeToLiveAsync(raw.Lease);
            Assert.True(lease.GrantedTtl == TimeSpan.FromDays(30) && lease.Remaining > TimeSpan.FromDays(29), $"{key}: lease {lease.GrantedTtl}, {lease.Remaining} left");
        }
    }

    [Fact]
    public async Task LongExpiration_IsRearmedByAReadAfterHalfItsLease_AndReadsAsMissingPastItsExpiry()
    {
        var clock = new ShiftedClock();
        var client = store.NewClient();
        var cache = new StatehouseDistributedCache(client, Options.Create(new StatehouseCacheOptions { KeyPrefix = "c7/", TimeProvider = clock }));
        await cache.SetAsync("k", [1], new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromDays(100) });
        var first = (await client.GetAsync("c7/k")).Entry!;
        Assert.True(CacheEnvelope.TryUnpack(first.Value, out var header, out _));
        Assert.InRange(header.LeaseUntilUnixMs - clock.GetUtcNow().ToUnixTimeMilliseconds(), 30 * Day - 60_000, 30 * Day);

        clock.Offset = TimeSpan.FromDays(10); // less than half the lease gone: a read leaves the entry alone
        Assert.Equal([1], await cache.GetAsync("k"));
        Assert.Equal(first.ModRevision, (await client.GetAsync("c7/k")).Entry!.ModRevision);

        clock.Offset = TimeSpan.FromDays(20); // more than half gone: the read re-arms the lease for another 30 days
        Assert.Equal([1], await cache.GetAsync("k"));
        var rearmed = (await client.GetAsync("c7/k")).Entry!;
        Assert.True(rearmed.ModRevision > first.ModRevision);
        Assert.True(CacheEnvelope.TryUnpack(rearmed.Value, out var after, out var value));
        Assert.Equal([1], value.ToArray());
        Assert.Equal(header.AbsoluteExpiryUnixMs, after.AbsoluteExpiryUnixMs);
        Assert.InRange(after.LeaseUntilUnixMs - clock.GetUtcNow().ToUnixTimeMilliseconds(), 30 * Day - 60_000, 30 * Day);

        clock.Offset = TimeSpan.FromDays(101); // past the expiry (the node's lease has not ended): missing, and deleted
        Assert.Null(await cache.GetAsync("k"));
        Assert.False((await client.GetAsync("c7/k")).Found);
    }

    [Fact]
    public async Task MaxValueBytes_ExactlyTheDefaultMaximum_IsStored_AndOneMoreIsAnArgumentException()
    {
        // Was a bug: the documented maximum was the node's, and the header pushed such a value past it (StatehouseException).
        var options = new StatehouseCacheOptions { KeyPrefix = "c8/" };
        Assert.Equal(StoreLimits.Default.MaxValueBytes, options.MaxValueBytes + StatehouseCacheOptions.EntryOverheadBytes);
        var cache = new StatehouseDistributedCache(store.NewClient(), Options.Create(options));
        var largest = new byte[options.MaxValueBytes];
        largest[^1] = 7;
        var longest = new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromDays(365) }; // the longer header
        await cache.SetAsync("k", largest, longest);
        Assert.Equal(largest, await cache.GetAsync("k"));
        await cache.SetAsync("k2", largest, new DistributedCacheEntryOptions());
        Assert.Equal(largest, await cache.GetAsync("k2"));

        var tooLarge = await Assert.ThrowsAsync<ArgumentException>(() => cache.SetAsync("k", new byte[options.MaxValueBytes + 1], longest));
        Assert.Contains("MaxValueBytes", tooLarge.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => cache.SetAsync("k", new byte[1024 * 1024], longest));
        Assert.Equal(largest, await cache.GetAsync("k")); // the refused writes changed nothing
    }

    [Fact]
    public async Task AbsoluteExpirationInThePast_RemovesTheValue_WithoutThrowing()
    {
        var cache = Cache("c9/");
        await cache.SetAsync("k", [1], new DistributedCacheEntryOptions());
        await cache.SetAsync("k", [2], new DistributedCacheEntryOptions { AbsoluteExpiration = DateTimeOffset.UtcNow.AddMinutes(-1) });
        Assert.Null(await cache.GetAsync("k"));
        Assert.False((await store.NewClient().GetAsync("c9/k")).Found);
        await cache.SetAsync("never-set", [2], new DistributedCacheEntryOptions { AbsoluteExpiration = DateTimeOffset.UnixEpoch });
        Assert.Null(await cache.GetAsync("never-set"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ServiceProviderDispose_DoesNotThrow_WhenTheCacheWasResolved(bool nearCache)
    {
        // Was a bug: the cache was only IAsyncDisposable, so a synchronous container dispose threw.
        var services = new ServiceCollection();
        services.AddStatehouse(o => o.Endpoints.Add(store.GrpcUri));
        services.AddStatehouseDistributedCache(o =>
        {
            o.KeyPrefix = "c10/";
            o.NearCache.Enabled = nearCache;
        });
        var provider = services.BuildServiceProvider();
        var cache = provider.GetRequiredService<IDistributedCache>();
        await cache.SetAsync("k", [1], new DistributedCacheEntryOptions());
        Assert.Equal([1], await cache.GetAsync("k"));
        provider.Dispose();
    }

    [Fact]
    public async Task ServiceProviderDispose_DoesNotThrow_WhenTheStateManagerWithNearCacheWasResolved()
    {
        // Same defect as the cache's: StateManager was only IAsyncDisposable.
        var services = new ServiceCollection();
        services.AddStatehouse(o => o.Endpoints.Add(store.GrpcUri));
        services.AddStatehouseStateManager(o =>
        {
            o.KeyPrefix = "c11/";
            o.NearCache.Enabled = true;
        });
        var provider = services.BuildServiceProvider();
        var state = provider.GetRequiredService<IStateManager>();
        await state.SetAsync("k", 1);
        Assert.Equal(1, (await state.GetAsync<int>("k"))!.Value);
        provider.Dispose();
    }
}

/// <summary>The system clock moved by <see cref="Offset"/> (wall time only; timestamps stay real).</summary>
internal sealed class ShiftedClock : TimeProvider
{
    public TimeSpan Offset { get; set; }

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;
}
