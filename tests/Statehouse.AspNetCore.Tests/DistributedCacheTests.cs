using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Options;

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
        Assert.True(CacheEnvelope.TryUnpack(packed, out var header, out var value));
        Assert.Equal(new CacheEnvelope(1234, 5000), header);
        Assert.Equal([1, 2], value.ToArray());
        Assert.False(CacheEnvelope.TryUnpack("hello"u8.ToArray(), out _, out _));
        Assert.Equal(TimeSpan.FromSeconds(2), CacheEnvelope.StoreTtl(TimeSpan.FromMilliseconds(1100)));
        Assert.Equal(TimeSpan.FromSeconds(1), CacheEnvelope.StoreTtl(TimeSpan.FromMilliseconds(10)));
        Assert.Equal(TimeSpan.FromMilliseconds(200), new CacheEnvelope(1200, 5000).TtlAt(1000)); // sliding cut at the absolute limit
        Assert.Null(new CacheEnvelope(0, 0).TtlAt(1000));
    }
}
