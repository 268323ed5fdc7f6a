using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
using Statehouse.Client;

namespace Statehouse.AspNetCore.Tests;

/// <summary>
/// Microsoft's <see cref="HybridCache"/> with <see cref="StatehouseDistributedCache"/> as its L2, as an app would use
/// it: several app instances (each its own container, so its own L1 memory cache) sharing one store.
/// </summary>
public sealed class HybridCacheTests(StoreFixture store) : IClassFixture<StoreFixture>
{
    /// <summary>An app instance: its own HybridCache (own L1) on the shared Statehouse L2.</summary>
    private ServiceProvider Instance(string prefix, bool nearCache = false)
    {
        var services = new ServiceCollection();
        services.AddStatehouse(o => o.Endpoints.Add(store.GrpcUri));
        services.AddStatehouseDistributedCache(o =>
        {
            o.KeyPrefix = prefix;
            o.NearCache.Enabled = nearCache;
        });
        services.AddHybridCache();
        return services.BuildServiceProvider();
    }

    private static HybridCache Hybrid(ServiceProvider instance) => instance.GetRequiredService<HybridCache>();

    /// <summary>A factory that counts its calls and answers <paramref name="value"/>.</summary>
    private sealed class Factory(string value)
    {
        public int Calls;

        public ValueTask<string> CreateAsync(CancellationToken _)
        {
            Interlocked.Increment(ref Calls);
            return ValueTask.FromResult(value);
        }
    }

    /// <summary>Waits (up to 5 s) until the store has, or no longer has, the key: HybridCache may write L2 in the background.</summary>
    private async Task InStoreAsync(string storeKey, bool expected)
    {
        var client = store.NewClient();
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while ((await client.GetAsync(storeKey)).Found != expected)
        {
            Assert.True(DateTime.UtcNow < deadline, $"'{storeKey}' is {(expected ? "not yet" : "still")} in the store after 5 s");
            await Task.Delay(20);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task L2_IsSharedAcrossInstances(bool nearCache)
    {
        await using var a = Instance($"h1{nearCache}/", nearCache);
        await using var b = Instance($"h1{nearCache}/", nearCache);
        var fromA = new Factory("made by A");
        var fromB = new Factory("made by B");
        Assert.Equal("made by A", await Hybrid(a).GetOrCreateAsync("product:1", fromA.CreateAsync));
        await InStoreAsync($"h1{nearCache}/product:1", expected: true); // HybridCache writes L2 after it answers
        Assert.Equal("made by A", await Hybrid(b).GetOrCreateAsync("product:1", fromB.CreateAsync));
        Assert.Equal(1, fromA.Calls);
        Assert.Equal(0, fromB.Calls); // B found A's value in the store
    }

    [Fact]
    public async Task Remove_OnOneInstance_RemovesTheValueFromL2()
    {
        await using var a = Instance("h2/");
        await using var b = Instance("h2/");
        await Hybrid(a).SetAsync("k", "v1");
        await InStoreAsync("h2/k", expected: true);
        await Hybrid(b).RemoveAsync("k");
        await InStoreAsync("h2/k", expected: false);

        // A third instance (empty L1) has to make the value again. (A still has "v1" in its own L1 until that
        // expires: HybridCache does not tell other instances' L1 caches about a removal.)
        await using var c = Instance("h2/");
        var factory = new Factory("v2");
        Assert.Equal("v2", await Hybrid(c).GetOrCreateAsync("k", factory.CreateAsync));
        Assert.Equal(1, factory.Calls);
    }

    [Fact]
    public async Task Expiration_RemovesTheValueFromL2()
    {
        await using var a = Instance("h3/");
        await Hybrid(a).SetAsync("k", "short", new HybridCacheEntryOptions { Expiration = TimeSpan.FromSeconds(2), LocalCacheExpiration = TimeSpan.FromSeconds(1) });
        await InStoreAsync("h3/k", expected: true);
        await using var b = Instance("h3/");
        var early = new Factory("again");
        Assert.Equal("short", await Hybrid(b).GetOrCreateAsync("k", early.CreateAsync));
        Assert.Equal(0, early.Calls);

        await InStoreAsync("h3/k", expected: false);

        await using var c = Instance("h3/");
        var late = new Factory("again");
        Assert.Equal("again", await Hybrid(c).GetOrCreateAsync("k", late.CreateAsync));
        Assert.Equal(1, late.Calls);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RemoveByTag_Works_AndOtherInstancesStopServingTheTaggedValues(bool nearCache)
    {
        // Was a bug: HybridCache writes its tag invalidation with a 1,000-day expiration, which threw InvalidArgument.
        var prefix = $"h4{nearCache}/";
        await using var a = Instance(prefix, nearCache);
        await Hybrid(a).SetAsync("tagged", "old", tags: ["catalog"]);
        await Hybrid(a).SetAsync("untagged", "kept");
        await InStoreAsync(prefix + "tagged", expected: true);
        await InStoreAsync(prefix + "untagged", expected: true);
        await using var b = Instance(prefix, nearCache);
        await Hybrid(b).RemoveByTagAsync("catalog");
        await InStoreAsync(prefix + "__MSFT_HCT__catalog", expected: true);

        var keys = await store.NewClient().RangeAsync(KeyRange.Prefix(prefix));
        var invalidation = Assert.Single(keys.Entries, e => e.KeyAsString().Contains("catalog", StringComparison.Ordinal));
        Assert.NotEqual(0, invalidation.Lease); // bounded in the store like any entry

        // A fresh instance reads the tag's invalidation from L2 and makes the tagged value again; the rest stays.
        await using var c = Instance(prefix, nearCache);
        var tagged = new Factory("new");
        var untagged = new Factory("made again");
        Assert.Equal("new", await Hybrid(c).GetOrCreateAsync("tagged", tagged.CreateAsync, tags: ["catalog"]));
        Assert.Equal("kept", await Hybrid(c).GetOrCreateAsync("untagged", untagged.CreateAsync));
        Assert.Equal(1, tagged.Calls);
        Assert.Equal(0, untagged.Calls);
    }
}
