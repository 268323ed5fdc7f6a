using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Options;
using Statehouse.Client;

namespace Statehouse.AspNetCore.Tests;

public sealed class NearCacheTests(StoreFixture store) : IClassFixture<StoreFixture>
{
    private (StatehouseDistributedCache Cache, StateClient Client) Instance(string prefix)
    {
        var client = store.NewClient();
        var options = new StatehouseCacheOptions { KeyPrefix = prefix, ReadConsistency = ReadConsistency.Session };
        options.NearCache.Enabled = true;
        return (new StatehouseDistributedCache(client, Options.Create(options)), client);
    }

    [Fact]
    public async Task AUsersWriteOnOneInstance_IsReadOnAnother_NeverStale_AndRepeatReadsHitMemory()
    {
        var (a, clientA) = Instance("n1/");
        var (b, clientB) = Instance("n1/");
        await using var _ = a;
        await using var __ = b;
        long hits = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) =>
        {
            if (i.Meter.Name == "Statehouse.AspNetCore" && i.Name == "statehouse.near_cache.hits")
            {
                l.EnableMeasurementEvents(i);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, v, _, _) => Interlocked.Add(ref hits, v));
        listener.Start();

        for (var i = 0; i < 30; i++)
        {
            // The user's request on instance A writes; their token goes with them to instance B.
            long token;
            using (var session = clientA.BeginSession())
            {
                await a.SetAsync("cart", Encoding.UTF8.GetBytes($"v{i}"), new DistributedCacheEntryOptions());
                token = session.Revision;
            }

            using (clientB.BeginSession(token))
            {
                Assert.Equal($"v{i}", Encoding.UTF8.GetString((await b.GetAsync("cart"))!));
                Assert.Equal($"v{i}", Encoding.UTF8.GetString((await b.GetAsync("cart"))!));
                Assert.Equal($"v{i}", Encoding.UTF8.GetString((await b.GetAsync("cart"))!));
            }
        }

        Assert.True(Interlocked.Read(ref hits) > 0, "no read was served from memory");
    }

    [Fact]
    public async Task AnotherInstancesWrite_EvictsTheEntry_Promptly()
    {
        var (a, _) = Instance("n2/");
        var (b, _) = Instance("n2/");
        await using var _a = a;
        await using var _b = b;
        await a.SetAsync("k", [1], new DistributedCacheEntryOptions());
        await WaitForAsync(async () => (await b.GetAsync("k"))?.SequenceEqual(new byte[] { 1 }) == true);
        await a.SetAsync("k", [2], new DistributedCacheEntryOptions());

        // Without any session token B learns of the write from its watch, within moments.
        await WaitForAsync(async () => (await b.GetAsync("k"))?.SequenceEqual(new byte[] { 2 }) == true);
        await a.RemoveAsync("k");
        await WaitForAsync(async () => await b.GetAsync("k") is null);
    }

    [Fact]
    public async Task SlidingEntry_ReadFromMemory_StaysAWindowAfterTheLastRead_AndGoesWithinWindowPlusSlack()
    {
        // Was a bug: reads from memory restarted the store's window at most every max(1 s, window/4) while the lease
        // was just the window, so an entry could leave the store well under a window after its last read.
        var (a, _) = Instance("n3/");
        await using var _a = a;
        var raw = store.NewClient();
        var window = TimeSpan.FromSeconds(2);
        await a.SetAsync("k", [1], new DistributedCacheEntryOptions { SlidingExpiration = window });

        Assert.Equal([1], await a.GetAsync("k")); // from the store: restarts the window (a keep-alive) and caches the entry
        await Task.Delay(TimeSpan.FromMilliseconds(700));
        Assert.Equal([1], await a.GetAsync("k")); // from memory, under the 1 s slack since the restart: no store call
        var lastRead = DateTime.UtcNow;

        // A window less a little after the last read the entry must still be in the store (before the fix it had
        // gone about 1.3 s after the last read). The raw client reads without sliding. Whatever the timing, the
        // store must keep the entry a window after any read.
        await Task.Delay(lastRead + window - TimeSpan.FromMilliseconds(300) - DateTime.UtcNow);
        Assert.True((await raw.GetAsync("n3/k")).Found, "the entry left the store before its sliding window had passed since its last read");

        // And idle, it goes within window + slack (+1 s of whole-second TTLs and lease expiry).
        await WaitForAsync(async () => !(await raw.GetAsync("n3/k")).Found);
        Assert.True(DateTime.UtcNow - lastRead < window + TimeSpan.FromSeconds(3));
        Assert.Null(await a.GetAsync("k"));
    }

    [Fact]
    public async Task SlidingEntry_ReadOnlyFromMemory_StaysAliveWhileRead()
    {
        var (a, _) = Instance("n4/");
        await using var _a = a;
        await a.SetAsync("k", [1], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromSeconds(2) });
        var raw = store.NewClient();
        for (var i = 0; i < 12; i++)
        {
            await Task.Delay(400); // 4.8 s in all, more than twice the window, read only through the near cache
            Assert.Equal([1], await a.GetAsync("k"));
            Assert.True((await raw.GetAsync("n4/k")).Found);
        }
    }

    [Fact]
    public async Task Get_ReturnsTheCallersOwnArray_SoWritingIntoItChangesNoLaterRead()
    {
        // Was a bug: with the near cache every Get returned the cached array itself.
        var (a, _) = Instance("n5/");
        await using var _a = a;
        await a.SetAsync("k", [1, 2, 3], new DistributedCacheEntryOptions());
        var fromStore = (await a.GetAsync("k"))!;
        fromStore[0] = 99;
        var fromMemory = (await a.GetAsync("k"))!;
        Assert.Equal([1, 2, 3], fromMemory);
        fromMemory[1] = 99;
        Assert.Equal([1, 2, 3], a.Get("k"));
        Assert.Equal([1, 2, 3], await a.GetAsync("k"));
    }

    [Fact]
    public async Task GetAsync_WithACancelledToken_Throws_EvenWhenTheValueIsInMemory()
    {
        // Was a bug: a near cache hit ignored the token.
        var (a, _) = Instance("n6/");
        await using var _a = a;
        await a.SetAsync("k", [1], new DistributedCacheEntryOptions());
        Assert.Equal([1], await a.GetAsync("k"));
        Assert.Equal([1], await a.GetAsync("k"));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => a.GetAsync("k", cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => a.RefreshAsync("k", cancelled.Token));
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "not within 5 s");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task StateManagerWithNearCache_ReadsYourWritesAcrossInstances()
    {
        StateManager Manager(StateClient client)
        {
            var options = new StateManagerOptions { KeyPrefix = "nm/" };
            options.NearCache.Enabled = true;
            return new StateManager(client, Options.Create(options));
        }

        var (clientA, clientB) = (store.NewClient(), store.NewClient());
        await using var a = Manager(clientA);
        await using var b = Manager(clientB);
        for (var i = 0; i < 30; i++)
        {
            long token;
            using (var session = clientA.BeginSession())
            {
                await a.UpdateAsync<int>("count", n => n + 1);
                token = session.Revision;
            }

            using (clientB.BeginSession(token))
            {
                Assert.Equal(i + 1, (await b.GetAsync<int>("count"))!.Value);
                Assert.Equal(i + 1, (await b.GetAsync<int>("count"))!.Value);
            }
        }
    }
}
